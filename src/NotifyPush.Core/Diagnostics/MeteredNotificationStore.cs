using System.Diagnostics;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// Wraps the configured store: times every call by operation, counts what it committed, and traces the append (a
/// child of the send's span). Registered over any store by <see cref="MeteredNotificationStoreRegistration"/>.
/// </summary>
/// <remarks>
/// Disposing it disposes the inner store: the container tracks only this wrapper. A store the container also holds
/// under its own type (Postgres) is then disposed twice, which stores allow.
/// </remarks>
public sealed class MeteredNotificationStore(INotificationStore inner, NotifyPushMetrics metrics, TimeProvider timeProvider, string system) : INotificationStore, IAsyncDisposable
{
    /// <summary>The store this one measures.</summary>
    public INotificationStore Inner { get; } = inner;

    public Task InitializeAsync(CancellationToken cancellationToken) => Inner.InitializeAsync(cancellationToken);

    public async Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        using var activity = NotifyPushTracing.StartStoreCall("append", system);
        activity?.SetTag("notifypush.recipients", request.UserIds.Count);
        var started = timeProvider.GetTimestamp();
        try
        {
            var result = await Inner.AppendAsync(request, cancellationToken).ConfigureAwait(false);
            Record("append", started, null);
            if (!result.IsReplay)
            {
                metrics.Stored(result.Notifications.Count);
            }

            return result;
        }
        catch (Exception ex)
        {
            var error = ErrorType(ex);
            Record("append", started, error);
            if (error is not null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, error);
            }

            throw;
        }
    }

    public Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        MeasureAsync("read", () => Inner.ReadAsync(userId, afterSeq, limit, now, cancellationToken));

    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken) =>
        MeasureAsync("stream_state", () => Inner.GetStreamStateAsync(userId, cancellationToken));

    public Task<IReadOnlyDictionary<string, UserStreamState>> GetStreamStatesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        MeasureAsync("stream_states", () => Inner.GetStreamStatesAsync(userIds, cancellationToken));

    public Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        MeasureAsync("stream_heads", () => Inner.GetStreamHeadsAsync(userIds, cancellationToken));

    public Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken) =>
        MeasureAsync("acknowledge", async () =>
        {
            await Inner.AcknowledgeAsync(acks, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken) =>
        MeasureAsync("cleanup", () => Inner.CleanupAsync(now, deliveredRetention, batchSize, cancellationToken));

    public Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken) =>
        MeasureAsync("cleanup_idempotency_keys", () => Inner.CleanupIdempotencyKeysAsync(now, window, batchSize, cancellationToken));

    public Task PingAsync(CancellationToken cancellationToken) =>
        MeasureAsync("ping", async () =>
        {
            await Inner.PingAsync(cancellationToken).ConfigureAwait(false);
            return true;
        });

    public ValueTask DisposeAsync() => Inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>
    /// The <c>error.type</c> of a failed call: <c>unavailable</c> for an outage, <c>cancelled</c> when the caller gave
    /// up, the exception's type name otherwise. Null for an idempotency conflict, which is an answer, not a failure.
    /// </summary>
    internal static string? ErrorType(Exception exception) => exception switch
    {
        IdempotencyConflictException => null,
        StoreUnavailableException => "unavailable",
        OperationCanceledException => "cancelled",
        _ => exception.GetType().Name,
    };

    // The clock starts before the call: a store may do all of its work before its first await (SQLite does).
    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> call)
    {
        var started = timeProvider.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            Record(operation, started, null);
            return result;
        }
        catch (Exception ex)
        {
            Record(operation, started, ErrorType(ex));
            throw;
        }
    }

    private void Record(string operation, long started, string? errorType) =>
        metrics.StoreOperation(operation, timeProvider.GetElapsedTime(started), errorType);
}
