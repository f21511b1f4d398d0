namespace NotifyPush.Server.Authentication;

/// <summary>The authorization policies of the endpoints, by name.</summary>
public static class NotifyPushPolicies
{
    /// <summary><c>/ws</c>: an authenticated user; a cookie credential also needs an allowed <c>Origin</c>.</summary>
    public const string SocketUser = "SocketUser";

    /// <summary><c>/api</c>: a service API key or a service JWT; never a user token. Each route adds its scope's policy.</summary>
    public const string ServiceCaller = "ServiceCaller";

    private const string ScopePrefix = "ServiceScope:";

    /// <summary>The policy of a route that needs <paramref name="scope"/> (one of <see cref="ServiceScopes.All"/>): a service caller holding it.</summary>
    public static string Scope(string scope) => ScopePrefix + scope;
}
