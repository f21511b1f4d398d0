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

    // SQLite store (2000-2099).
    public const int SqliteStoreOpened = 2000;
    public const int SqliteMigrationApplied = 2001;
    public const int SqliteStoreUnavailable = 2002;
    public const int SqliteStoreRecovered = 2003;
    public const int SqliteIdempotentReplay = 2004;
    public const int SqliteIdempotencyConflict = 2005;
    public const int SqliteCleanupPass = 2006;
}
