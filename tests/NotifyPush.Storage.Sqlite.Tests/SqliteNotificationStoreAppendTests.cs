using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite.Tests;

/// <summary>Append behaviour beyond the shared specification: fan-out cost and input the store refuses.</summary>
public sealed class SqliteNotificationStoreAppendTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly SqliteTestDatabase _database = new();
    private readonly CancellationTokenSource _cancellation = new(Timeout);
    private SqliteNotificationStore? _store;

    private SqliteNotificationStore Store => _store ?? throw new InvalidOperationException("The store is not created yet.");

    private CancellationToken Ct => _cancellation.Token;

    public async Task InitializeAsync()
    {
        _store = new SqliteNotificationStore(_database.ConnectionString, NullLogger<SqliteNotificationStore>.Instance);
        await _store.InitializeAsync(Ct).WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().AsTask().WaitAsync(Timeout);
        }

        _cancellation.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task Append_FanOutToTenThousandUsers_CompletesAsOneQuickTransaction()
    {
        var userIds = Enumerable.Range(0, 10_000).Select(i => $"user-{i}").ToArray();
        var started = Stopwatch.GetTimestamp();

        var result = await Store.AppendAsync(Request(userIds), Ct).WaitAsync(Timeout);

        // One transaction with prepared statements takes well under a second; a commit per user takes minutes.
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(15));
        Assert.Equal(userIds, result.Notifications.Select(n => n.UserId));
        Assert.All(result.Notifications, n => Assert.Equal(1, n.Seq));
        Assert.Equal(1, (await Store.GetStreamStateAsync("user-9999", Ct).WaitAsync(Timeout)).LastSeq);
    }

    [Fact]
    public async Task Append_FanOut_StoresThePayloadOnceAndEveryRecipientReadsItWhole_ASendToOneUserKeepsItInItsRow()
    {
        var userIds = Enumerable.Range(0, 300).Select(i => $"once-{i}").ToArray();
        var request = Request(userIds);

        await Store.AppendAsync(request, Ct).WaitAsync(Timeout);

        await using (var connection = new SqliteConnection(_database.ConnectionString))
        {
            Assert.Equal(1L, connection.ExecuteScalar<long>("SELECT count(*) FROM notification_payloads"));
            Assert.Equal(300L, connection.ExecuteScalar<long>("SELECT count(*) FROM notifications WHERE payload = '' AND payload_id IS NOT NULL"));
        }

        foreach (var userId in userIds)
        {
            var read = await Store.ReadAsync(userId, 0, 10, request.CreatedAt, Ct).WaitAsync(Timeout);
            Assert.Equal(request.PayloadJson, Assert.Single(read).PayloadJson);
        }

        // A send to one user keeps its payload in its row.
        await Store.AppendAsync(Request(["solo"]), Ct).WaitAsync(Timeout);
        await using (var connection = new SqliteConnection(_database.ConnectionString))
        {
            Assert.Equal(1L, connection.ExecuteScalar<long>("SELECT count(*) FROM notification_payloads"));
        }

        var solo = await Store.ReadAsync("solo", 0, 10, request.CreatedAt, Ct).WaitAsync(Timeout);
        Assert.Equal(request.PayloadJson, Assert.Single(solo).PayloadJson);
    }

    [Fact]
    public async Task Append_WithARepeatedUserId_ThrowsArgumentExceptionAndStoresNothing()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAsync(Request(["a", "b", "a"]), Ct).WaitAsync(Timeout));

        Assert.Equal(UserStreamState.Empty, await Store.GetStreamStateAsync("a", Ct).WaitAsync(Timeout));
        Assert.Equal(UserStreamState.Empty, await Store.GetStreamStateAsync("b", Ct).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Append_WithNoUserIds_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAsync(Request([]), Ct).WaitAsync(Timeout));
    }

    [Fact]
    public async Task Append_AfterDispose_ThrowsObjectDisposed()
    {
        await Store.DisposeAsync().AsTask().WaitAsync(Timeout);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.AppendAsync(Request(["a"]), Ct).WaitAsync(Timeout));
    }

    [Fact]
    public void Constructor_WithInMemoryDatabase_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new SqliteNotificationStore("Data Source=:memory:", NullLogger<SqliteNotificationStore>.Instance));
        Assert.Throws<ArgumentException>(() => new SqliteNotificationStore("Data Source=x;Mode=Memory", NullLogger<SqliteNotificationStore>.Instance));
    }

    private static AppendRequest Request(string[] userIds)
    {
        var now = DateTimeOffset.UtcNow;
        return new AppendRequest("billing", null, "hash", userIds, "test.event", """{"n":1}""", now, now.AddDays(1));
    }
}
