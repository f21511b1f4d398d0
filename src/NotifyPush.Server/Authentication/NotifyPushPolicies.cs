namespace NotifyPush.Server.Authentication;

/// <summary>The authorization policies of the endpoints, by name.</summary>
public static class NotifyPushPolicies
{
    /// <summary><c>/ws</c>: an authenticated user; a cookie credential also needs an allowed <c>Origin</c>.</summary>
    public const string SocketUser = "SocketUser";

    /// <summary><c>/api</c>: a service API key, or a service JWT with the required scope; never a user token.</summary>
    public const string ServiceCaller = "ServiceCaller";
}
