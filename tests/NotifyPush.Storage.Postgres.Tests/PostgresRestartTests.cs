using Npgsql;
using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// PostgreSQL restarts (or fails over) while a replica idles: every connection in its pool is dead, and the first
/// use of one reads "57P01 terminating connection due to administrator command". Calls that are safe to repeat must
/// not fail because of that; an append without an idempotency key, which cannot tell whether it committed, still
/// answers "unavailable". Each test restarts a private server (<see cref="PostgresServerProcess"/>), not the shared one.
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
    public async Task AppendWithoutKey_AfterPostgresRestarted_IsUnavailableOnceAndLeavesNoHole()
    {
        await server.Postgres.RestartAsync();

        // The statement went out on a dead connection: whether it committed cannot be known, so it is not repeated.
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.AppendAsync(StoreRequests.Append(_userId), TestTimeouts.Token())).Bounded();
        var next = await _store.AppendAsync(StoreRequests.Append(_userId), TestTimeouts.Token()).Bounded();

        Assert.Equal(2, Assert.Single(next.Notifications).Seq);
    }

    /// <summary>One private PostgreSQL for the tests of this class, which run one after another.</summary>
    public sealed class PrivateServer : IAsyncLifetime
    {
        public PostgresServerProcess Postgres { get; private set; } = null!;

        public async Task InitializeAsync() => Postgres = await PostgresServerProcess.StartAsync();

        public async Task DisposeAsync() => await Postgres.DisposeAsync();
    }
}
