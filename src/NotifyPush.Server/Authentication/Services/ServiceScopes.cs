namespace NotifyPush.Server.Authentication;

/// <summary>
/// The scopes of service credentials (API keys and service JWTs); each service route needs one. An API key configured
/// without <c>Scopes</c> holds <see cref="Send"/> only; the Development key holds them all.
/// </summary>
public static class ServiceScopes
{
    /// <summary><c>POST /api/notifications</c>.</summary>
    public const string Send = "notifications:send";

    /// <summary><c>GET /api/users/{userId}/notifications</c> (history).</summary>
    public const string Read = "notifications:read";

    /// <summary><c>POST /api/users/{userId}/disconnect</c> (sign-out and token revocation).</summary>
    public const string Disconnect = "users:disconnect";

    /// <summary><c>GET /api/users/{userId}/presence</c> and <c>POST /api/presence</c>.</summary>
    public const string PresenceRead = "presence:read";

    /// <summary>The admin view's data (<c>GET /api/admin/replicas</c>).</summary>
    public const string Admin = "admin";

    /// <summary><c>/metrics</c> when <c>NotifyPush:Telemetry:PrometheusRequiresServiceCredential</c> is set.</summary>
    public const string MetricsRead = "metrics:read";

    /// <summary>Every scope, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Send, Read, Disconnect, PresenceRead, Admin, MetricsRead];

    /// <summary>What an API key configured without scopes holds.</summary>
    public static IReadOnlyList<string> Default { get; } = [Send];

    /// <summary>True for one of <see cref="All"/> (exact, case-sensitive, as OAuth scopes are).</summary>
    public static bool IsKnown(string? scope) => scope is not null && All.Contains(scope, StringComparer.Ordinal);
}
