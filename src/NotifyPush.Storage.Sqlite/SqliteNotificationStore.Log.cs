using Microsoft.Extensions.Logging;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.SqliteStoreOpened, Level = LogLevel.Information,
            Message = "Opened SQLite store {DataSource} (SQLite {SqliteVersion}, journal mode {JournalMode}, busy timeout {BusyTimeoutMs} ms).")]
        public static partial void StoreOpened(ILogger logger, string dataSource, string sqliteVersion, string journalMode, int busyTimeoutMs);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteMigrationApplied, Level = LogLevel.Information,
            Message = "Applied migration {MigrationName} (schema version {SchemaVersion}) to {DataSource}.")]
        public static partial void MigrationApplied(ILogger logger, string migrationName, int schemaVersion, string dataSource);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteStoreUnavailable, Level = LogLevel.Error,
            Message = "SQLite store {DataSource} is unavailable: could not {Operation}. Logged once until it recovers.")]
        public static partial void StoreUnavailable(ILogger logger, string dataSource, string operation, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteStoreRecovered, Level = LogLevel.Information,
            Message = "SQLite store {DataSource} is available again.")]
        public static partial void StoreRecovered(ILogger logger, string dataSource);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteIdempotentReplay, Level = LogLevel.Debug,
            Message = "Idempotent retry from {Caller}: returned {NotificationCount} stored notifications.")]
        public static partial void IdempotentReplay(ILogger logger, string caller, int notificationCount);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteIdempotencyConflict, Level = LogLevel.Information,
            Message = "Idempotency key of {Caller} reused for a different request; nothing stored.")]
        public static partial void IdempotencyConflict(ILogger logger, string caller);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteCleanupPass, Level = LogLevel.Debug,
            Message = "Retention removed {DeletedCount} notifications in {ElapsedMs} ms.")]
        public static partial void CleanupPass(ILogger logger, int deletedCount, double elapsedMs);

        [LoggerMessage(EventId = NotifyPushEventIds.SqliteIdempotencyKeysForgotten, Level = LogLevel.Debug,
            Message = "Retention forgot {DeletedCount} idempotency keys older than the window.")]
        public static partial void IdempotencyKeysForgotten(ILogger logger, int deletedCount);
    }
}
