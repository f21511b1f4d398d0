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
    public const int RedisConnecting = 3000;
    public const int RedisConnectFailed = 3001;
    public const int RedisConnected = 3002;
    public const int RedisConnectionLost = 3003;
    public const int RedisConnectionReestablished = 3004;
    public const int RedisResubscribeFailed = 3005;
    public const int RedisRestored = 3006;
    public const int RedisPublishFailed = 3007;
    public const int RedisMessageNotPublishable = 3008;
    public const int RedisSubscribeFailed = 3009;
    public const int RedisUnsubscribeFailed = 3010;
    public const int RedisMessageMalformed = 3011;
    public const int RedisListenerFailed = 3012;

    // 4000-4099: authentication.
    // 4100-4199: HTTP API.
    // 4200-4299: hosting (start-up, shutdown, draining).
}
