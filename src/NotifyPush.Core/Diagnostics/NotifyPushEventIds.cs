namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// Every log event id of NotifyPush, in ranges per area, so operators can filter and alert on them.
/// </summary>
public static class NotifyPushEventIds
{
    // 1000-1099: connections (one socket's lifetime, the registry).
    // 1100-1199: delivery (dispatch, replay, gap fill, acks, heartbeat, retention).
    // 2000-2099: SQLite store.
    // 2100-2199: Postgres store.
    // 3000-3099: Redis backplane.
    // 4000-4099: authentication.
    // 4100-4199: HTTP API.
    // 4200-4299: hosting (start-up, shutdown, draining).

    // Authentication (4000-4099).
    public const int AuthDevelopmentSigningKey = 4000;
    public const int AuthDevelopmentApiKey = 4001;
    public const int AuthUserTokenRejected = 4010;
    public const int AuthHandshakeRejected = 4011;
    public const int AuthHandshakeOriginRejected = 4012;
    public const int AuthServiceCallRejected = 4020;
    public const int AuthSigningKeysUnavailable = 4030;
    public const int AuthSigningKeysRecovered = 4031;
    public const int AuthDevTokenIssued = 4040;
}
