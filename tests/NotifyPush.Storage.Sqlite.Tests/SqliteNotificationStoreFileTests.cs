using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite.Tests;

/// <summary>What only a file-backed store has to get right: reopening, directories, locks and schema versions.</summary>
public sealed class SqliteNotificationStoreFileTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly SqliteTestDatabase _database = new();
    private readonly CancellationTokenSource _cancellation = new(Timeout);
    private readonly List<SqliteNotificationStore> _stores = [];

    private CancellationToken Ct => _cancellation.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        _cancellation.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task Reopen_AfterDisposing_KeepsStateAndContinuesNumbering()
    {
        var userId = "u1";
        var first = CreateStore();
        await first.InitializeAsync(Ct).WaitAsync(Timeout);
        for (var i = 0; i < 3; i++)
        {
            await first.AppendAsync(Request(userId), Ct).WaitAsync(Timeout);
        }

        await first.AcknowledgeAsync([new StreamAck(userId, 2)], Ct).WaitAsync(Timeout);
        await first.DisposeAsync().AsTask().WaitAsync(Timeout);

        var reopened = CreateStore();
        await reopened.InitializeAsync(Ct).WaitAsync(Timeout);
        var next = await reopened.AppendAsync(Request(userId), Ct).WaitAsync(Timeout);

        Assert.Equal(4, Assert.Single(next.Notifications).Seq);
        Assert.Equal(new UserStreamState(4, 2, 0), await reopened.GetStreamStateAsync(userId, Ct).WaitAsync(Timeout));
        var stored = await reopened.ReadAsync(userId, 0, 100, DateTimeOffset.UtcNow, Ct).WaitAsync(Timeout);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, stored.Select(n => n.Seq));
    }

    [Fact]
    public async Task Initialize_WhenDirectoryIsMissing_CreatesIt()
    {
        var directory = Path.Combine(_database.Directory, "a", "b", "c");
        var store = CreateStore($"Data Source={Path.Combine(directory, "notifypush.db")}");

        await store.InitializeAsync(Ct).WaitAsync(Timeout);

        Assert.True(File.Exists(Path.Combine(directory, "notifypush.db")));
        Assert.Equal(1, Assert.Single((await store.AppendAsync(Request("u1"), Ct).WaitAsync(Timeout)).Notifications).Seq);
    }

    [Fact]
    public async Task Initialize_AppliesEveryMigrationInWalMode()
    {
        var store = CreateStore();
        await store.InitializeAsync(Ct).WaitAsync(Timeout);

        using var connection = OpenExternalConnection();
        Assert.Equal(SqliteMigrations.All[^1].Version, connection.ExecuteScalar<long>("PRAGMA user_version"));
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Initialize_RecordsEachMigrationsChecksum()
    {
        await CreateStore().InitializeAsync(Ct).WaitAsync(Timeout);

        using var connection = OpenExternalConnection();
        Assert.Equal(SqliteMigrations.All.Select(m => m.Checksum), connection.Query<string>("SELECT checksum FROM schema_migrations ORDER BY version"));
    }

    [Fact]
    public async Task Initialize_WhenAnAppliedMigrationWasEdited_IsRefusedNamingIt()
    {
        await CreateStore().InitializeAsync(Ct).WaitAsync(Timeout);
        using (var connection = OpenExternalConnection())
        {
            // What the file held when it was applied differs from this build's text: as if the file was edited since.
            connection.Execute("UPDATE schema_migrations SET checksum = 'applied-with-other-text' WHERE version = 2");
        }

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => CreateStore().InitializeAsync(Ct).WaitAsync(Timeout));

        Assert.Contains(SqliteMigrations.All[1].Name, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("applied-with-other-text", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_OnAFileFromBeforeChecksums_RecordsThemAndAppliesNothing()
    {
        await CreateStore().InitializeAsync(Ct).WaitAsync(Timeout);
        using (var connection = OpenExternalConnection())
        {
            connection.Execute("DROP TABLE schema_migrations");
        }

        await CreateStore().InitializeAsync(Ct).WaitAsync(Timeout);

        using var check = OpenExternalConnection();
        Assert.Equal(SqliteMigrations.All.Select(m => m.Checksum), check.Query<string>("SELECT checksum FROM schema_migrations ORDER BY version"));
        Assert.Equal(SqliteMigrations.All[^1].Version, check.ExecuteScalar<long>("PRAGMA user_version"));
    }

    [Fact]
    public async Task Initialize_FromTwoStoresAtOnce_AppliesTheSchemaOnce()
    {
        var stores = new[] { CreateStore(), CreateStore(), CreateStore() };
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var initializations = stores.Select(store => Task.Run(async () =>
        {
            await start.Task;
            await store.InitializeAsync(Ct);
        })).ToArray();

        start.SetResult();
        await Task.WhenAll(initializations).WaitAsync(Timeout);

        var first = await stores[0].AppendAsync(Request("u1"), Ct).WaitAsync(Timeout);
        var second = await stores[2].AppendAsync(Request("u1"), Ct).WaitAsync(Timeout);
        Assert.Equal(new long[] { 1, 2 }, new[] { first.Notifications[0].Seq, second.Notifications[0].Seq });
    }

    [Fact]
    public async Task Initialize_WhenSchemaIsFromANewerVersion_Refuses()
    {
        using (var connection = OpenExternalConnection())
        {
            connection.Execute("PRAGMA user_version = 999");
        }

        var store = CreateStore();

        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync(Ct).WaitAsync(Timeout));
        Assert.Contains("999", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_WhenDataSourceIsADirectory_ThrowsStoreUnavailable()
    {
        var store = CreateStore($"Data Source={_database.Directory}");

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(Ct).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Initialize_WhenDirectoryCannotBeCreated_ThrowsStoreUnavailable()
    {
        // A regular file where a directory should be: nobody, not even root, can create the directory.
        var blocker = Path.Combine(_database.Directory, "blocker");
        await File.WriteAllTextAsync(blocker, "not a directory", Ct);
        var store = CreateStore($"Data Source={Path.Combine(blocker, "data", "notifypush.db")}");

        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.InitializeAsync(Ct).WaitAsync(Timeout));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PingAsync(Ct).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Append_WhenAnotherProcessHoldsTheWriteLock_ThrowsStoreUnavailableAndStoresNothing()
    {
        var store = CreateStore($"{_database.ConnectionString};Default Timeout=1");
        await store.InitializeAsync(Ct).WaitAsync(Timeout);
        using var other = OpenExternalConnection();
        using (var transaction = other.BeginTransaction(deferred: false))
        {
            var failure = await Assert.ThrowsAsync<StoreUnavailableException>(() =>
                store.AppendAsync(Request("u1"), Ct).WaitAsync(Timeout));
            Assert.IsType<SqliteException>(failure.InnerException);

            // WAL readers do not wait for writers, in this process or another.
            Assert.Equal(UserStreamState.Empty, await store.GetStreamStateAsync("u1", Ct).WaitAsync(Timeout));
            transaction.Rollback();
        }

        var afterwards = await store.AppendAsync(Request("u1"), Ct).WaitAsync(Timeout);
        Assert.Equal(1, Assert.Single(afterwards.Notifications).Seq);
    }

    [Fact]
    public async Task Append_FromTwoStoresOnOneFile_SeqsHaveNoHoles()
    {
        // Two stores on one file behave like two processes: only BEGIN IMMEDIATE and the busy timeout keep order.
        var stores = new[] { CreateStore(), CreateStore() };
        await stores[0].InitializeAsync(Ct).WaitAsync(Timeout);
        await stores[1].InitializeAsync(Ct).WaitAsync(Timeout);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            await start.Task;
            var seqs = new List<long>();
            for (var i = 0; i < 25; i++)
            {
                var result = await stores[writer % 2].AppendAsync(Request("shared"), Ct);
                seqs.Add(result.Notifications[0].Seq);
            }

            return seqs;
        })).ToArray();

        start.SetResult();
        var seqs = (await Task.WhenAll(writers).WaitAsync(Timeout)).SelectMany(s => s).Order();

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task Initialize_OnAVersion1File_KeepsTheIdempotencyKeysItStored()
    {
        // A file as version 1 left it: the key lived on the notification rows of a fan-out to u2 and u1.
        var now = DateTimeOffset.UtcNow;
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        using (var connection = OpenExternalConnection())
        {
            connection.Execute(SqliteMigrations.All[0].Sql);
            connection.Execute("PRAGMA user_version = 1");
            connection.Execute("INSERT INTO user_streams (user_id, last_seq) VALUES ('u1', 1), ('u2', 1)");
            connection.Execute(
                """
                INSERT INTO notifications (user_id, seq, id, type, payload, created_at, expires_at, caller, idempotency_key, request_hash)
                VALUES ('u2', 1, @First, 'test.event', '{}', @CreatedAt, @ExpiresAt, 'billing', 'k1', 'hash'),
                       ('u1', 1, @Second, 'test.event', '{}', @CreatedAt, @ExpiresAt, 'billing', 'k1', 'hash')
                """,
                new { First = first.ToString("D"), Second = second.ToString("D"), CreatedAt = now.UtcTicks, ExpiresAt = now.AddDays(1).UtcTicks });
        }

        var store = CreateStore();
        await store.InitializeAsync(Ct).WaitAsync(Timeout);
        var retry = await store.AppendAsync(new AppendRequest("billing", "k1", "hash", ["u2", "u1"], "test.event", "{}", now, now.AddDays(1)), Ct).WaitAsync(Timeout);

        Assert.True(retry.IsReplay);
        Assert.Equal([("u2", first, 1L), ("u1", second, 1L)], retry.Notifications.Select(n => (n.UserId, n.Id, n.Seq)));
        Assert.Equal(2, Assert.Single((await store.AppendAsync(Request("u1"), Ct).WaitAsync(Timeout)).Notifications).Seq);
    }

    private SqliteNotificationStore CreateStore(string? connectionString = null)
    {
        var store = new SqliteNotificationStore(connectionString ?? _database.ConnectionString, NullLogger<SqliteNotificationStore>.Instance);
        _stores.Add(store);
        return store;
    }

    private SqliteConnection OpenExternalConnection()
    {
        var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        return connection;
    }

    private static AppendRequest Request(string userId)
    {
        var now = DateTimeOffset.UtcNow;
        return new AppendRequest("billing", null, "hash", [userId], "test.event", "{}", now, now.AddDays(1));
    }
}
