using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// The server's own store, except that reads leave out rows a test chose, a given number of times: a store that has
/// not (yet) returned a seq it never removed.
/// </summary>
internal sealed class RowHidingStore(INotificationStore inner) : INotificationStore, IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string UserId, long Seq), int> _hidden = new();
    private int _rowsHidden;

    /// <summary>Replaces the server's store with one of these over it; <paramref name="created"/> receives it.</summary>
    public static void Install(IServiceCollection services, Action<RowHidingStore> created)
    {
        var original = services.Last(d => d.ServiceType == typeof(INotificationStore));
        services.Remove(original);
        services.AddSingleton<INotificationStore>(provider =>
        {
            var store = new RowHidingStore((INotificationStore)original.ImplementationFactory!(provider));
            created(store);
            return store;
        });
    }

    /// <summary>Leaves seq <paramref name="seq"/> of the user out of the next <paramref name="reads"/> reads that would return it.</summary>
    public void Hide(string userId, long seq, int reads) => _hidden[(userId, seq)] = reads;

    /// <summary>Reads that left a hidden row out so far.</summary>
    public int RowsHidden => Volatile.Read(ref _rowsHidden);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken) => inner.AppendAsync(request, cancellationToken);

    public async Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var rows = await inner.ReadAsync(userId, afterSeq, limit, now, cancellationToken);
        return rows.Where(row => !TakeHidden(row)).ToList();
    }

    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken) => inner.GetStreamStateAsync(userId, cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken) =>
        inner.GetStreamHeadsAsync(userIds, cancellationToken);

    public Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken) => inner.AcknowledgeAsync(acks, cancellationToken);

    public Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupAsync(now, deliveredRetention, batchSize, cancellationToken);

    public Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupIdempotencyKeysAsync(now, window, batchSize, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    private bool TakeHidden(StoredNotification row)
    {
        var key = (row.UserId, row.Seq);
        while (_hidden.TryGetValue(key, out var left) && left > 0)
        {
            if (_hidden.TryUpdate(key, left - 1, left))
            {
                Interlocked.Increment(ref _rowsHidden);
                return true;
            }
        }

        return false;
    }
}
