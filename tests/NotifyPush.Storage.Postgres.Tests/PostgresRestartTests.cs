using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// PostgreSQL restarts (or fails over) while a replica idles: every connection in its pool is dead, and the first
/// use of one reads "57P01 terminating connection due to administrator command". No call may fail because of that,
/// appends without an idempotency key included: nothing was committed on the dead connection. Each test restarts a
/// private server (<see cref="PostgresServerProcess"/>), not the shared one, and each uses a store of its own whose
/// pool was filled before the restart and left idle through it.
/// </summary>
public sealed class PostgresRestartTests(PostgresRestartTests.PrivateServer server) : IClassFixture<PostgresRestartTests.PrivateServer>, IAsyncLifetime
{
    private readonly string _userId = $"u-{Guid.NewGuid():N}";
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.Postgres.ConnectionString) { SearchPath = $"test_{Guid.NewGuid():N}" }.ConnectionString;
        _store = PostgresNotificationStore.Create(connectionString);
        await _store.InitializeAsync(TestTimeouts.Token()).Bounded();

        // Several calls at once leave several idle connections in the pool, as on a replica that has been serving.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _store.ReadAsync(_userId, 0, 10, StoreRequests.Now, TestTimeouts.Token()))).Bounded();
        await _store.AppendAsync(StoreRequests.Append([_userId], idempotencyKey: "before-restart"), TestTimeouts.Token()).Bounded();
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Read_AfterPostgresRestarted_SucceedsOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        var read = await _store.ReadAsync(_userId, 0, 10, StoreRequests.Now, TestTimeouts.Token()).Bounded();

        Assert.Equal(1, Assert.Single(read).Seq);
    }

    [Fact]
    public async Task StreamStateAndPing_AfterPostgresRestarted_SucceedOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        var state = await _store.GetStreamStateAsync(_userId, TestTimeouts.Token()).Bounded();
        await server.Postgres.RestartAsync();
        await _store.PingAsync(TestTimeouts.Token()).Bounded();

        Assert.Equal(1, state.LastSeq);
    }

    [Fact]
    public async Task Acknowledge_AfterPostgresRestarted_SucceedsOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        await _store.AcknowledgeAsync([new StreamAck(_userId, 1)], TestTimeouts.Token()).Bounded();

        Assert.Equal(1, (await _store.GetStreamStateAsync(_userId, TestTimeouts.Token()).Bounded()).AckedSeq);
    }

    [Fact]
    public async Task AppendWithIdempotencyKey_AfterPostgresRestarted_IsStoredOnceOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        var appended = await _store.AppendAsync(StoreRequests.Append([_userId], idempotencyKey: "after-restart"), TestTimeouts.Token()).Bounded();
        var retried = await _store.AppendAsync(StoreRequests.Append([_userId], idempotencyKey: "after-restart"), TestTimeouts.Token()).Bounded();

        Assert.Equal(2, Assert.Single(appended.Notifications).Seq);
        Assert.Equal(appended.Notifications, retried.Notifications);
        Assert.Equal(2, (await _store.GetStreamStateAsync(_userId, TestTimeouts.Token()).Bounded()).LastSeq);
    }

    [Fact]
    public async Task AppendWithoutKey_AfterPostgresRestarted_IsStoredOnceOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        // The dead connection failed before anything was committed: the append is written on a new one, once.
        var appended = await _store.AppendAsync(StoreRequests.Append(_userId), TestTimeouts.Token()).Bounded();
        var next = await _store.AppendAsync(StoreRequests.Append(_userId), TestTimeouts.Token()).Bounded();

        Assert.Equal(2, Assert.Single(appended.Notifications).Seq);
        Assert.Equal(3, Assert.Single(next.Notifications).Seq);
        Assert.Equal([1L, 2L, 3L], (await _store.ReadAsync(_userId, 0, 10, StoreRequests.Now, TestTimeouts.Token()).Bounded()).Select(n => n.Seq));
    }

    [Fact]
    public async Task LargeFanOutWithoutKey_AfterPostgresRestarted_IsStoredOnceOnTheFirstTry()
    {
        // Above GroupCommitMaxRequestRows (100): written alone, not batched.
        var users = StoreRequests.Users($"fan-{Guid.NewGuid():N}", 150);
        await server.Postgres.RestartAsync();

        var appended = await _store.AppendAsync(StoreRequests.Append(users), TestTimeouts.Token()).Bounded();

        Assert.Equal(150, appended.Notifications.Count);
        Assert.All(appended.Notifications, notification => Assert.Equal(1, notification.Seq));
    }

    [Fact]
    public async Task GroupCommitWithoutKeys_AfterPostgresRestarted_StoresEveryRequestOnceOnTheFirstTry()
    {
        var users = StoreRequests.Users($"group-{Guid.NewGuid():N}", 20);
        await server.Postgres.RestartAsync();

        // Started together, they queue behind the first and are committed in batches; the first batch meets a dead connection.
        var appends = users.Select(user => _store.AppendAsync(StoreRequests.Append(user), TestTimeouts.Token())).ToList();
        var results = await Task.WhenAll(appends).Bounded();

        Assert.All(results, result => Assert.Equal(1, Assert.Single(result.Notifications).Seq));
        foreach (var user in users)
        {
            Assert.Equal(1, (await _store.GetStreamStateAsync(user, TestTimeouts.Token()).Bounded()).LastSeq);
        }
    }

    [Fact]
    public async Task Cleanup_AfterPostgresRestarted_SucceedsOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        // Eight days on, the notification stored at set-up (seven-day ttl) has expired.
        var cleaned = await _store.CleanupAsync(StoreRequests.Now.AddDays(8), TimeSpan.FromDays(1), 1000, TestTimeouts.Token()).Bounded();

        Assert.True(cleaned.Deleted >= 1);
        Assert.Empty(await _store.ReadAsync(_userId, 0, 10, StoreRequests.Now, TestTimeouts.Token()).Bounded());
    }

    [Fact]
    public async Task IdempotencyKeyCleanup_AfterPostgresRestarted_SucceedsOnTheFirstTry()
    {
        await server.Postgres.RestartAsync();

        var forgotten = await _store.CleanupIdempotencyKeysAsync(StoreRequests.Now.AddDays(2), TimeSpan.FromDays(1), 1000, TestTimeouts.Token()).Bounded();

        Assert.Equal(1, forgotten.Deleted);
    }

    /// <summary>One private PostgreSQL for the tests of this class, which run one after another.</summary>
    public sealed class PrivateServer : IAsyncLifetime
    {
        public PostgresServerProcess Postgres { get; private set; } = null!;

        public async Task InitializeAsync() => Postgres = await PostgresServerProcess.StartAsync();

        public async Task DisposeAsync() => await Postgres.DisposeAsync();
    }
}
