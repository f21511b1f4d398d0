using Microsoft.Extensions.Logging;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    [LoggerMessage(EventId = NotifyPushEventIds.PostgresMigrationApplied, Level = LogLevel.Information,
        Message = "Applied store migration {Migration} to schema {Schema}.")]
    private static partial void LogMigrationApplied(ILogger logger, string migration, string schema);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresSchemaUpToDate, Level = LogLevel.Information,
        Message = "Store schema {Schema} is up to date at version {Version}.")]
    private static partial void LogSchemaUpToDate(ILogger logger, string schema, int version);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresSchemaNewerThanCode, Level = LogLevel.Warning,
        Message = "Store schema {Schema} is at version {SchemaVersion}, newer than this build's {CodeVersion}; running on it unchanged.")]
    private static partial void LogSchemaNewerThanCode(ILogger logger, string schema, int schemaVersion, int codeVersion);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresUnavailable, Level = LogLevel.Error,
        Message = "The Postgres store is unavailable; calls fail with StoreUnavailableException and are not logged again until it answers.")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresRecovered, Level = LogLevel.Information,
        Message = "The Postgres store answers again after {UnavailableMs} ms.")]
    private static partial void LogRecovered(ILogger logger, long unavailableMs);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresIdempotentReplay, Level = LogLevel.Debug,
        Message = "Idempotent retry of caller {Caller}: returned the {Count} notifications stored by the original request.")]
    private static partial void LogIdempotentReplay(ILogger logger, string caller, int count);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresIdempotencyRaceResolved, Level = LogLevel.Debug,
        Message = "A concurrent request of caller {Caller} stored the same idempotency key first; answering from its notifications.")]
    private static partial void LogIdempotencyRaceResolved(ILogger logger, string caller);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresCleanupPass, Level = LogLevel.Debug,
        Message = "Cleanup removed {Deleted} notifications (batch size {BatchSize}).")]
    private static partial void LogCleanupPass(ILogger logger, int deleted, int batchSize);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresCleanupSkipped, Level = LogLevel.Debug,
        Message = "Cleanup skipped: another replica is cleaning up.")]
    private static partial void LogCleanupSkipped(ILogger logger);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresIdempotencyKeysForgotten, Level = LogLevel.Debug,
        Message = "Cleanup forgot {Deleted} idempotency keys older than the window (batch size {BatchSize}).")]
    private static partial void LogIdempotencyKeysForgotten(ILogger logger, int deleted, int batchSize);

    [LoggerMessage(EventId = NotifyPushEventIds.PostgresConnectionLost, Level = LogLevel.Information,
        Message = "A pooled Postgres connection was found dead ({Reason}), as after a restart or failover; the pool was cleared and calls that are safe to repeat run again on a new connection.")]
    private static partial void LogConnectionLost(ILogger logger, string reason);
}
