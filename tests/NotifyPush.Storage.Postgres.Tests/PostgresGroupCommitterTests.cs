using System.Collections.Concurrent;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// The group committer on its own: which queued appends form a batch. Its batches are written with the real group
/// statement into a schema of the test database, through a writer that records each batch's rows; what it hands
/// back to be written alone goes to the store's lone append. The first append is held in that lone write while the
/// others queue behind it, so the batches they form are known exactly.
/// </summary>
public sealed class PostgresGroupCommitterTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private readonly ConcurrentQueue<List<PostgresGroupCommitter.GroupAppendedRow>> _batches = new();
    private readonly ConcurrentQueue<PreparedAppend> _alone = new();
    private readonly TaskCompletionSource _firstHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _releaseFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PostgresNotificationStore _store = null!;
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _store = _schema.CreateStore();
        await _store.InitializeAsync(TestTimeouts.Token());
        _dataSource = NpgsqlDataSource.Create(_schema.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        _releaseFirst.TrySetResult();
        await _dataSource.DisposeAsync();
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Enqueue_WhenQueuedAppendsShareAnIdempotencyKey_ABatchTakesOneAndTheOthersAnswerFromItsResult()
    {
        var committer = NewCommitter(new PostgresStoreOptions());
        var run = Guid.NewGuid().ToString("N");
        var (keyedUser, plainUsers) = ($"keyed-{run}", StoreRequests.Users($"plain-{run}", 2));
        var first = await HoldFirstAsync(committer, $"first-{run}");

        var keyed1 = Prepare(StoreRequests.Append([keyedUser], idempotencyKey: "order-1"));
        var plain1 = Prepare(StoreRequests.Append(plainUsers[0]));
        var keyed2 = Prepare(StoreRequests.Append([keyedUser], idempotencyKey: "order-1"));
        var keyed3 = Prepare(StoreRequests.Append([keyedUser], idempotencyKey: "order-1"));
        var plain2 = Prepare(StoreRequests.Append(plainUsers[1]));
        var queued = new[] { keyed1, plain1, keyed2, keyed3, plain2 };
        var results = queued.Select(append => committer.EnqueueAsync(append, TestTimeouts.Token())).ToArray();
        _releaseFirst.SetResult();
        await first.Bounded();
        var answers = await Task.WhenAll(results).Bounded();

        // One batch: the first of the key and the two plain sends, in arrival order. The later two of the key waited
        // and were written alone, each finding the key's result.
        // (The statement returns its rows in no particular order; each names its request.)
        var batch = Assert.Single(_batches);
        var members = new[] { keyed1, plain1, plain2 };
        Assert.Equal([1L, 2L, 3L], batch.Select(row => row.Request).Order());
        Assert.All(batch, row => Assert.Contains(row.Id, members[row.Request - 1].Ids));
        Assert.Equal(3, _alone.Count);
        Assert.Same(keyed2, _alone.ElementAt(1));
        Assert.Same(keyed3, _alone.ElementAt(2));

        var original = Assert.Single(answers[0].Notifications);
        Assert.False(answers[0].IsReplay);
        Assert.Equal(keyed1.Ids[0], original.Id);
        foreach (var replay in new[] { answers[2], answers[3] })
        {
            Assert.True(replay.IsReplay);
            Assert.Equal(original, Assert.Single(replay.Notifications));
        }

        Assert.Equal(original, Assert.Single(await _store.ReadAsync(keyedUser, 0, 10, StoreRequests.Now, TestTimeouts.Token())));
        Assert.Equal(plain1.Ids[0], Assert.Single(answers[1].Notifications).Id);
        Assert.Equal(plain2.Ids[0], Assert.Single(answers[4].Notifications).Id);
    }

    [Fact]
    public async Task Enqueue_WhenTheQueueHoldsMoreRowsThanTheLimit_SplitsItIntoBatchesInArrivalOrder()
    {
        var committer = NewCommitter(new PostgresStoreOptions { GroupCommitMaxRows = 5 });
        var run = Guid.NewGuid().ToString("N");
        var first = await HoldFirstAsync(committer, $"first-{run}");

        // Recipients 2, 2 | 2, 3 | 1, 4 | 7: each batch up to five rows, and a request larger than the limit alone.
        var queued = new[] { 2, 2, 2, 3, 1, 4, 7 }
            .Select((count, i) => Prepare(StoreRequests.Append(StoreRequests.Users($"r{i}-{run}", count))))
            .ToArray();
        var results = queued.Select(append => committer.EnqueueAsync(append, TestTimeouts.Token())).ToArray();
        _releaseFirst.SetResult();
        await first.Bounded();
        var answers = await Task.WhenAll(results).Bounded();

        var batches = _batches.ToArray();
        Assert.Equal([4, 5, 5], batches.Select(batch => batch.Count));
        for (var b = 0; b < batches.Length; b++)
        {
            var members = queued.Skip(2 * b).Take(2).ToArray();
            Assert.Equal(members.SelectMany(append => append.Ids).Order(), batches[b].Select(row => row.Id).Order());
            Assert.All(batches[b], row => Assert.Contains(row.Id, members[row.Request - 1].Ids));
        }

        Assert.Same(queued[6], _alone.Last());
        for (var i = 0; i < queued.Length; i++)
        {
            Assert.False(answers[i].IsReplay);
            Assert.Equal(queued[i].Ids, answers[i].Notifications.Select(n => n.Id));
            Assert.Equal(queued[i].UserIds, answers[i].Notifications.Select(n => n.UserId));
            Assert.All(answers[i].Notifications, n => Assert.Equal(1, n.Seq));
        }

        // Each batch is one transaction: its rows share their xmin, and the three batches are three transactions.
        var ids = string.Join(",", queued.Take(6).SelectMany(append => append.Ids).Select(id => $"'{id}'"));
        Assert.Equal(3L, await _schema.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM notifications WHERE id IN ({ids})"));
    }

    private PostgresGroupCommitter NewCommitter(PostgresStoreOptions options) =>
        new(options, WriteBatchAsync, AppendAloneAsync, metrics: null);

    /// <summary>Queues one append and waits until the committer hands it to the lone write, where it is held.</summary>
    private async Task<Task<AppendResult>> HoldFirstAsync(PostgresGroupCommitter committer, string userId)
    {
        var first = committer.EnqueueAsync(Prepare(StoreRequests.Append(userId)), TestTimeouts.Token());
        await _firstHeld.Task.Bounded();
        return first;
    }

    /// <summary>A batch in one transaction on a connection of its own, recorded once it committed.</summary>
    private async Task<List<PostgresGroupCommitter.GroupAppendedRow>> WriteBatchAsync(
        Func<NpgsqlConnection, CancellationToken, Task<List<PostgresGroupCommitter.GroupAppendedRow>>> work)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(TestTimeouts.Token());
        await using var transaction = await connection.BeginTransactionAsync(TestTimeouts.Token());
        var rows = await work(connection, TestTimeouts.Token());
        await transaction.CommitAsync(TestTimeouts.Token());
        _batches.Enqueue(rows);
        return rows;
    }

    /// <summary>The store's lone append; the first one waits until the test releases it.</summary>
    private async Task<AppendResult> AppendAloneAsync(PreparedAppend append)
    {
        _alone.Enqueue(append);
        if (_firstHeld.TrySetResult())
        {
            await _releaseFirst.Task.Bounded();
        }

        return await _store.AppendAloneAsync(append, TestTimeouts.Token());
    }

    private static PreparedAppend Prepare(AppendRequest request) => new(request, [.. request.UserIds]);
}
