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

    // Postgres store (2100-2199).
    public const int PostgresMigrationApplied = 2100;
    public const int PostgresSchemaUpToDate = 2101;
    public const int PostgresUnavailable = 2102;
    public const int PostgresRecovered = 2103;
    public const int PostgresIdempotentReplay = 2104;
    public const int PostgresIdempotencyRaceResolved = 2105;
    public const int PostgresCleanupPass = 2106;
    public const int PostgresCleanupSkipped = 2107;
    public const int PostgresSchemaNewerThanCode = 2108;
}
