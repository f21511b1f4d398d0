using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

/// <summary>
/// Behaviour every <see cref="INotificationStore"/> must show. A store's test project derives from this class
/// and supplies <see cref="CreateStoreAsync"/>; every test below then runs against that store.
/// </summary>
/// <remarks>
/// Each test owns its data: it uses fresh user ids and callers (see <see cref="TestUsers.NewUser"/>), so one store
/// instance or database may be shared by the tests of a class. Retention tests run cleanup at the real current
/// time and only create rows that are due relative to it, so they never remove another test's rows.
/// </remarks>
public abstract partial class NotificationStoreSpecification : IAsyncLifetime
{
    /// <summary>Bound on every await of a test, and on the test as a whole through <see cref="TestCancellation"/>.</summary>
    protected static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _cancellation = new(TestTimeout);
    private INotificationStore? _store;

    /// <summary>The store under test, initialised (schema applied).</summary>
    protected INotificationStore Store => _store ?? throw new InvalidOperationException("The store is not created yet.");

    /// <summary>Cancelled when the test has run for <see cref="TestTimeout"/>.</summary>
    protected CancellationToken TestCancellation => _cancellation.Token;

    /// <summary>Creates a store whose schema is applied. Called once per test.</summary>
    protected abstract Task<INotificationStore> CreateStoreAsync();

    /// <summary>Releases a store created by <see cref="CreateStoreAsync"/>.</summary>
    protected virtual ValueTask DisposeStoreAsync(INotificationStore store) =>
        store is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateStoreAsync().WaitAsync(TestTimeout);

    public async Task DisposeAsync()
    {
        try
        {
            if (_store is not null)
            {
                await DisposeStoreAsync(_store).AsTask().WaitAsync(TestTimeout);
            }
        }
        finally
        {
            _cancellation.Dispose();
        }
    }

    /// <summary>A calling service name no other test uses.</summary>
    protected static string NewCaller() => $"svc-{Guid.NewGuid():N}";

    /// <summary>An idempotency key no other test uses.</summary>
    protected static string NewIdempotencyKey() => $"key-{Guid.NewGuid():N}";

    /// <summary>
    /// The current time truncated to whole milliseconds, so that every store (Postgres keeps microseconds)
    /// returns it unchanged.
    /// </summary>
    protected static DateTimeOffset UtcNow()
    {
        var ticks = DateTimeOffset.UtcNow.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>The seqs <paramref name="first"/> to <paramref name="last"/>, inclusive.</summary>
    protected static long[] Seqs(long first, long last) =>
        Enumerable.Range(0, checked((int)(last - first + 1))).Select(offset => first + offset).ToArray();

    /// <summary>A request with sensible defaults: a fresh caller, no key, created now, expiring in a day.</summary>
    protected static AppendRequest NewRequest(
        IReadOnlyList<string> userIds,
        string? caller = null,
        string? idempotencyKey = null,
        string requestHash = "hash-1",
        string type = "test.event",
        string payloadJson = """{"n":1}""",
        DateTimeOffset? createdAt = null,
        DateTimeOffset? expiresAt = null)
    {
        var created = createdAt ?? UtcNow();
        return new AppendRequest(
            caller ?? NewCaller(), idempotencyKey, requestHash, userIds, type, payloadJson, created, expiresAt ?? created.AddDays(1));
    }

    protected static Task<T> Bounded<T>(Task<T> task) => task.WaitAsync(TestTimeout);

    protected static Task Bounded(Task task) => task.WaitAsync(TestTimeout);

    protected Task<AppendResult> AppendAsync(AppendRequest request) => Bounded(Store.AppendAsync(request, TestCancellation));

    /// <summary>Appends one notification to one user and returns it.</summary>
    protected async Task<StoredNotification> AppendOneAsync(
        string userId, string payloadJson = """{"n":1}""", DateTimeOffset? createdAt = null, DateTimeOffset? expiresAt = null)
    {
        var result = await AppendAsync(NewRequest([userId], payloadJson: payloadJson, createdAt: createdAt, expiresAt: expiresAt));
        return Assert.Single(result.Notifications);
    }

    /// <summary>Everything of the user after <paramref name="afterSeq"/> that is unexpired at <paramref name="now"/> (default: the current time).</summary>
    protected Task<IReadOnlyList<StoredNotification>> ReadAllAsync(string userId, long afterSeq = 0, DateTimeOffset? now = null) =>
        Bounded(Store.ReadAsync(userId, afterSeq, 10_000, now ?? UtcNow(), TestCancellation));

    protected Task<UserStreamState> StateAsync(string userId) => Bounded(Store.GetStreamStateAsync(userId, TestCancellation));

    protected Task AcknowledgeAsync(params StreamAck[] acks) => Bounded(Store.AcknowledgeAsync(acks, TestCancellation));

    /// <summary>Runs retention passes until one reports nothing more due; returns the last pass.</summary>
    protected async Task<CleanupResult> CleanupUntilDoneAsync(DateTimeOffset now, TimeSpan deliveredRetention, int batchSize = 1000)
    {
        for (var pass = 0; pass < 10_000; pass++)
        {
            var result = await Bounded(Store.CleanupAsync(now, deliveredRetention, batchSize, TestCancellation));
            Assert.InRange(result.Deleted, 0, batchSize);
            if (!result.HasMore)
            {
                return result;
            }
        }

        throw new Xunit.Sdk.XunitException("Cleanup kept reporting more rows after 10,000 passes.");
    }
}
