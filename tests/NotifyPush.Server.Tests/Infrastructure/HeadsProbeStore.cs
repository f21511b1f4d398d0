using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// The server's own store, recording the position check's reads of stream heads (how many, how large) and failing
/// them while a test says so, as a store outage would.
/// </summary>
internal sealed class HeadsProbeStore(INotificationStore inner) : INotificationStore, IAsyncDisposable
{
    private int _headsCalls;
    private int _failedHeadsCalls;
    private int _largestBatch;
    private int _streamStateReads;
    private volatile bool _failHeads;

    /// <summary>Replaces the server's store with one of these over it; <paramref name="created"/> receives it.</summary>
    public static void Install(IServiceCollection services, Action<HeadsProbeStore> created)
    {
        var original = services.Last(d => d.ServiceType == typeof(INotificationStore));
        services.Remove(original);
        services.AddSingleton<INotificationStore>(provider =>
        {
            var store = new HeadsProbeStore((INotificationStore)original.ImplementationFactory!(provider));
            created(store);
            return store;
        });
    }

    /// <summary>While true, reads of stream heads throw <see cref="StoreUnavailableException"/>.</summary>
    public bool FailHeads
    {
        get => _failHeads;
        set => _failHeads = value;
    }

    public int HeadsCalls => Volatile.Read(ref _headsCalls);

    public int FailedHeadsCalls => Volatile.Read(ref _failedHeadsCalls);

    /// <summary>Most user ids one read of stream heads asked for.</summary>
    public int LargestBatch => Volatile.Read(ref _largestBatch);

    /// <summary>Reads of one user's stream state (what a check that queried per socket would do).</summary>
    public int StreamStateReads => Volatile.Read(ref _streamStateReads);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task<AppendResult> AppendAsync(AppendRequest request, CancellationToken cancellationToken) => inner.AppendAsync(request, cancellationToken);

    public Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        inner.ReadAsync(userId, afterSeq, limit, now, cancellationToken);

    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _streamStateReads);
        return inner.GetStreamStateAsync(userId, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _headsCalls);
        int largest;
        do
        {
            largest = Volatile.Read(ref _largestBatch);
        }
        while (userIds.Count > largest && Interlocked.CompareExchange(ref _largestBatch, userIds.Count, largest) != largest);

        if (_failHeads)
        {
            Interlocked.Increment(ref _failedHeadsCalls);
            throw new StoreUnavailableException("The test made the store unavailable.");
        }

        return inner.GetStreamHeadsAsync(userIds, cancellationToken);
    }

    public Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken) => inner.AcknowledgeAsync(acks, cancellationToken);

    public Task<CleanupResult> CleanupAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupAsync(now, deliveredRetention, batchSize, cancellationToken);

    public Task<CleanupResult> CleanupIdempotencyKeysAsync(DateTimeOffset now, TimeSpan window, int batchSize, CancellationToken cancellationToken) =>
        inner.CleanupIdempotencyKeysAsync(now, window, batchSize, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}
