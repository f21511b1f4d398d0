using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// Group commit: sends that queue while a write is in flight are committed together in one transaction. The tests
/// hold the one writer on a row lock taken by another transaction, queue requests behind it, then release it, so
/// the batch they form is known exactly. Rows written by one transaction share their <c>xmin</c>.
/// </summary>
public sealed class PostgresGroupCommitTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private readonly string _applicationName = $"groupcommit-{Guid.NewGuid():N}"[..40];
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = _schema.CreateStore(options: new PostgresStoreOptions { GroupCommitConcurrency = 1 }, applicationName: _applicationName);
        await _store.InitializeAsync(TestTimeouts.Token());
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Append_WhenSendsQueueBehindAWrite_TheyCommitInOneTransactionWithContiguousSeqsInArrivalOrder()
    {
        var hot = $"hot-{Guid.NewGuid():N}";
        var others = StoreRequests.Users($"cold-{Guid.NewGuid():N}", 10);
        await _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        Task<AppendResult> first;
        var queued = new List<(string UserId, Task<AppendResult> Result)>();
        await using (var blocker = await LockStreamAsync(hot))
        {
            first = _store.AppendAsync(StoreRequests.Append(hot, """{"i":0}"""), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();

            for (var i = 1; i <= 60; i++)
            {
                var userId = i % 2 == 0 ? hot : others[i % others.Length];
                queued.Add((userId, _store.AppendAsync(StoreRequests.Append(userId, $$"""{"i":{{i}}}"""), TestTimeouts.Token())));
            }

            Assert.All(queued, q => Assert.False(q.Result.IsCompleted));
            await blocker.CommitAsync(TestTimeouts.Token());
        }

        Assert.Equal(2, Assert.Single((await first.Bounded()).Notifications).Seq);
        var results = new List<(string UserId, StoredNotification Notification)>();
        foreach (var (userId, result) in queued)
        {
            var notification = Assert.Single((await result.Bounded()).Notifications);
            Assert.Equal(userId, notification.UserId);
            results.Add((userId, notification));
        }

        // The hot user's queued sends got 3, 4, 5… in the order they were made; every other user's too.
        foreach (var group in results.GroupBy(r => r.UserId))
        {
            var firstSeq = group.Key == hot ? 3 : 1;
            Assert.Equal(Enumerable.Range(firstSeq, group.Count()).Select(i => (long)i), group.Select(r => r.Notification.Seq));
        }

        // What each caller was told is what the store holds, and the 60 queued sends are one transaction.
        foreach (var (userId, notification) in results)
        {
            var stored = await _store.ReadAsync(userId, notification.Seq - 1, 1, StoreRequests.Now, TestTimeouts.Token());
            Assert.Equal(notification, Assert.Single(stored));
        }

        var ids = string.Join(",", results.Select(r => $"'{r.Notification.Id}'"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM notifications WHERE id IN ({ids})"));
        Assert.Equal(32L, (await _store.GetStreamStateAsync(hot, TestTimeouts.Token())).LastSeq);
    }

    [Fact]
    public async Task Append_WithWebPush_NeverJoinsAGroup_AndQueuesItsJobInItsOwnTransaction()
    {
        var hot = $"hot-{Guid.NewGuid():N}";
        var pushed = StoreRequests.Users($"pushed-{Guid.NewGuid():N}", 5);
        await _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        Task<AppendResult> first;
        var plain = new List<Task<AppendResult>>();
        var withPush = new List<Task<AppendResult>>();
        await using (var blocker = await LockStreamAsync(hot))
        {
            first = _store.AppendAsync(StoreRequests.Append(hot, """{"i":0}"""), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            for (var i = 0; i < 10; i++)
            {
                plain.Add(_store.AppendAsync(StoreRequests.Append(hot, $$"""{"i":{{i + 1}}}"""), TestTimeouts.Token()));
            }

            // Sends with webPush to other users do not wait behind the blocked group writer: each is written alone.
            foreach (var userId in pushed)
            {
                withPush.Add(_store.AppendAsync(StoreRequests.Append(userId) with { WebPush = new WebPushContent("t", "b", null) }, TestTimeouts.Token()));
            }

            await Task.WhenAll(withPush).Bounded();
            Assert.All(plain, task => Assert.False(task.IsCompleted));
            await blocker.CommitAsync(TestTimeouts.Token());
        }

        await first.Bounded();
        var plainIds = string.Join(",", (await Task.WhenAll(plain).Bounded()).Select(r => $"'{Assert.Single(r.Notifications).Id}'"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM notifications WHERE id IN ({plainIds})"));
        Assert.Equal(0L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM push_jobs WHERE notification_id IN ({plainIds})"));

        foreach (var result in await Task.WhenAll(withPush))
        {
            var notification = Assert.Single(result.Notifications);
            Assert.Equal(1L, await _schema.ScalarAsync<long>(
                $"SELECT count(*) FROM push_jobs AS j JOIN notifications AS n ON n.id = j.notification_id AND n.xmin = j.xmin WHERE n.id = '{notification.Id}' AND j.seq = n.seq"));
        }
    }

    [Fact]
    public async Task Append_WhenOneBatchHoldsTheSameIdempotencyKeyTwice_StoresOnceAndAnswersBothWithTheOriginal()
    {
        var hot = $"hot-{Guid.NewGuid():N}";
        var user = $"keyed-{Guid.NewGuid():N}";
        await _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        Task<AppendResult>[] keyed;
        Task<AppendResult> plain;
        Task<AppendResult> conflicting;
        await using (var blocker = await LockStreamAsync(hot))
        {
            var first = _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            keyed = Enumerable.Range(0, 5)
                .Select(_ => _store.AppendAsync(StoreRequests.Append([user], idempotencyKey: "order-1"), TestTimeouts.Token()))
                .ToArray();
            conflicting = _store.AppendAsync(StoreRequests.Append([user], idempotencyKey: "order-1", requestHash: "another-body"), TestTimeouts.Token());
            plain = _store.AppendAsync(StoreRequests.Append(user, """{"plain":true}"""), TestTimeouts.Token());
            await blocker.CommitAsync(TestTimeouts.Token());
            await first.Bounded();
        }

        var answers = await Task.WhenAll(keyed).Bounded();
        var original = Assert.Single(answers, a => !a.IsReplay).Notifications.Single();
        Assert.All(answers, a => Assert.Equal(original, Assert.Single(a.Notifications)));
        await Assert.ThrowsAsync<IdempotencyConflictException>(() => conflicting.Bounded());

        var plainNotification = Assert.Single((await plain.Bounded()).Notifications);
        var stored = await _store.ReadAsync(user, 0, 100, StoreRequests.Now, TestTimeouts.Token());
        Assert.Equal(new[] { original.Id, plainNotification.Id }.Order(), stored.Select(n => n.Id).Order());
        Assert.Equal([1L, 2L], stored.Select(n => n.Seq));
    }

    [Fact]
    public async Task Append_WhenKeyedSendsShareABatch_EachKeyRemembersItsOwnResultAfterTheRowsAreCleanedUp()
    {
        var hot = $"hot-{Guid.NewGuid():N}";
        var users = StoreRequests.Users($"batch-{Guid.NewGuid():N}", 3);
        await _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        // Two recipients per send, in different orders, so each key's result keeps its own request order.
        var requests = new[]
        {
            StoreRequests.Append([users[1], users[0]], idempotencyKey: "batch-a", ttl: TimeSpan.FromMinutes(1)),
            StoreRequests.Append([users[0], users[2]], idempotencyKey: "batch-b", ttl: TimeSpan.FromMinutes(1)),
            StoreRequests.Append([users[2], users[1]], idempotencyKey: "batch-c", ttl: TimeSpan.FromMinutes(1)),
        };
        Task<AppendResult>[] batched;
        await using (var blocker = await LockStreamAsync(hot))
        {
            var first = _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            batched = requests.Select(request => _store.AppendAsync(request, TestTimeouts.Token())).ToArray();
            await blocker.CommitAsync(TestTimeouts.Token());
            await first.Bounded();
        }

        var originals = await Task.WhenAll(batched).Bounded();
        var ids = string.Join(",", originals.SelectMany(o => o.Notifications).Select(n => $"'{n.Id}'"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM notifications WHERE id IN ({ids})"));

        // Every notification expires and is removed; each retry still gets its own original answer.
        await _store.CleanupAsync(StoreRequests.Now.AddHours(1), TimeSpan.FromDays(7), 1000, TestTimeouts.Token()).Bounded();
        Assert.Equal(0L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE id IN ({ids})"));
        for (var i = 0; i < requests.Length; i++)
        {
            var retry = await _store.AppendAsync(requests[i], TestTimeouts.Token()).Bounded();
            Assert.True(retry.IsReplay);
            Assert.Equal(originals[i].Notifications, retry.Notifications);
            Assert.Equal(requests[i].UserIds, retry.Notifications.Select(n => n.UserId));
        }

        foreach (var user in users)
        {
            Assert.Equal(2, (await _store.GetStreamStateAsync(user, TestTimeouts.Token()).Bounded()).LastSeq);
        }
    }

    [Fact]
    public async Task Append_WhenACallerGivesUpWhileQueued_ItsSendIsNotWrittenAndTheOthersAre()
    {
        var hot = $"hot-{Guid.NewGuid():N}";
        var user = $"patient-{Guid.NewGuid():N}";
        await _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        Task<AppendResult> abandoned;
        Task<AppendResult> kept;
        await using (var blocker = await LockStreamAsync(hot))
        {
            var first = _store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            using var giveUp = new CancellationTokenSource();
            abandoned = _store.AppendAsync(StoreRequests.Append(user, """{"abandoned":true}"""), giveUp.Token);
            kept = _store.AppendAsync(StoreRequests.Append(user, """{"kept":true}"""), TestTimeouts.Token());
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.Bounded());
            await blocker.CommitAsync(TestTimeouts.Token());
            await first.Bounded();
        }

        var notification = Assert.Single((await kept.Bounded()).Notifications);
        Assert.Equal(1, notification.Seq);
        var stored = await _store.ReadAsync(user, 0, 100, StoreRequests.Now, TestTimeouts.Token());
        Assert.Equal("""{"kept":true}""", Assert.Single(stored).PayloadJson);
    }

    [Fact]
    public async Task Append_WhenABatchLosesItsConnectionBeforeItsCommit_EverySendIsStoredOnceOnANewConnection()
    {
        var server = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres());
        await using var forwarder = new TcpForwarder(server.Host!, server.Port);
        forwarder.Start();
        var throughForwarder = new NpgsqlConnectionStringBuilder(_schema.ConnectionString) { Host = "127.0.0.1", Port = forwarder.Port, ApplicationName = _applicationName };
        await using var store = PostgresNotificationStore.Create(throughForwarder.ConnectionString, options: new PostgresStoreOptions { GroupCommitConcurrency = 1 });
        // Stream rows are locked in user id order: the batch takes the keyed users' rows before it waits for the held
        // one, so a keyed send run again alone waits for the batch's outcome instead of overtaking it.
        var run = Guid.NewGuid().ToString("N");
        var (keyed, hot, plain, held) = (StoreRequests.Users($"a-keyed-{run}", 2), $"m-hot-{run}", $"p-plain-{run}", $"z-held-{run}");
        await store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();
        await store.AppendAsync(StoreRequests.Append(held), TestTimeouts.Token()).Bounded();

        Task<AppendResult>[] keyedSends;
        Task<AppendResult>[] plainSends;
        await using (var holdFirst = await LockStreamAsync(hot))
        await using (var holdBatch = await LockStreamAsync(held))
        {
            var first = store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            keyedSends = keyed.Select((user, i) => store.AppendAsync(StoreRequests.Append([user], idempotencyKey: $"cut-{i}"), TestTimeouts.Token())).ToArray();
            plainSends = [store.AppendAsync(StoreRequests.Append(plain), TestTimeouts.Token()), store.AppendAsync(StoreRequests.Append(held), TestTimeouts.Token())];
            await holdFirst.CommitAsync(TestTimeouts.Token());
            await first.Bounded();

            // The batch of four now waits for the held stream. Its connection dies before the store sent the COMMIT: the
            // statement lives on in the server, in a transaction that is rolled back once the server finds the client
            // gone, so the store writes the batch again on a new connection.
            // The forwarder keeps accepting: the store's retry must find the server there (a stop and start of the
            // forwarder let the retry's connect race the restart, and be refused).
            await WaitUntilWriterBlockedAsync();
            forwarder.CutConnections();
            await holdBatch.CommitAsync(TestTimeouts.Token());
        }

        // Each keyed send got its one notification, and that is the answer, not a replay. (The batch written again
        // waits for the orphaned one's locks, so once they are answered its rollback is done.)
        for (var i = 0; i < keyed.Length; i++)
        {
            var result = await keyedSends[i].Bounded();
            Assert.False(result.IsReplay);
            var stored = await store.ReadAsync(keyed[i], 0, 10, StoreRequests.Now, TestTimeouts.Token()).Bounded();
            Assert.Equal(result.Notifications, stored);
        }

        foreach (var send in plainSends)
        {
            Assert.Single((await send.Bounded()).Notifications);
        }

        // Nothing was stored twice: the orphaned transaction committed nothing.
        Assert.Equal(1, (await store.GetStreamStateAsync(plain, TestTimeouts.Token()).Bounded()).LastSeq);
        Assert.Equal(2, (await store.GetStreamStateAsync(held, TestTimeouts.Token()).Bounded()).LastSeq);
    }

    [Fact]
    public async Task AppendWithoutKey_WhenItsConnectionDiesDuringTheCommit_IsUnavailableAndNotWrittenAgain()
    {
        var server = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres());
        await using var forwarder = new TcpForwarder(server.Host!, server.Port);
        forwarder.Start();
        var throughForwarder = new NpgsqlConnectionStringBuilder(_schema.ConnectionString) { Host = "127.0.0.1", Port = forwarder.Port, ApplicationName = _applicationName };
        await using var store = PostgresNotificationStore.Create(throughForwarder.ConnectionString);
        var user = $"indoubt-{Guid.NewGuid():N}";
        var lockKey = Random.Shared.Next();

        // A deferred trigger makes this user's COMMIT wait for an advisory lock the test holds: the statement has
        // run, the COMMIT is sent, and the connection dies while the server has not answered it.
        await _schema.ScalarAsync<object?>($$"""
            CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock({{lockKey}}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER hold_commit AFTER INSERT ON notifications DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW WHEN (NEW.user_id = '{{user}}') EXECUTE FUNCTION hold_commit();
            SELECT NULL;
            """);
        await using var holder = new NpgsqlConnection(_schema.ConnectionString);
        await holder.OpenAsync(TestTimeouts.Token());
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({lockKey})", holder))
        {
            await take.ExecuteScalarAsync(TestTimeouts.Token());
        }

        var append = store.AppendAsync(StoreRequests.Append(user), TestTimeouts.Token());
        await WaitUntilWriterBlockedAsync();
        forwarder.CutConnections();

        // In doubt: not repeated, since the orphaned COMMIT may yet succeed.
        await Assert.ThrowsAsync<StoreUnavailableException>(() => append.Bounded());
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({lockKey})", holder))
        {
            await release.ExecuteScalarAsync(TestTimeouts.Token());
        }

        await Poll.UntilAsync(
            async () => await _schema.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{_applicationName}' AND query = 'COMMIT' AND state = 'active'") == 0,
            "the orphaned COMMIT ends",
            TestTimeouts.Default);
        // The orphaned COMMIT went through: writing the send again would have stored it twice.
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE user_id = '{user}'"));
    }

    [Fact]
    public async Task Append_WhenTheStoreIsDisposedWhileSendsAreQueued_TheyFailAsDisposedAndNewOnesAreRefused()
    {
        var store = _schema.CreateStore(options: new PostgresStoreOptions { GroupCommitConcurrency = 1 }, applicationName: _applicationName);
        var run = Guid.NewGuid().ToString("N");
        var hot = $"hot-{run}";
        await store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token()).Bounded();

        Task<AppendResult> first;
        Task<AppendResult>[] queued;
        await using (var blocker = await LockStreamAsync(hot))
        {
            first = store.AppendAsync(StoreRequests.Append(hot), TestTimeouts.Token());
            await WaitUntilWriterBlockedAsync();
            queued = StoreRequests.Users($"queued-{run}", 3).Select(user => store.AppendAsync(StoreRequests.Append(user), TestTimeouts.Token())).ToArray();
            await store.DisposeAsync();
            await blocker.CommitAsync(TestTimeouts.Token());
        }

        // The write under way when the store went away ends either way; the sends behind it are not written.
        await Record.ExceptionAsync(() => first.Bounded());
        foreach (var send in queued)
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => send.Bounded());
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendAsync(StoreRequests.Append($"late-{run}"), TestTimeouts.Token()));
        Assert.Equal(0L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE user_id LIKE 'queued-{run}%'"));
    }

    [Fact]
    public async Task Append_WhenGroupCommitIsOff_ConcurrentSendsStillGetContiguousSeqs()
    {
        await using var store = _schema.CreateStore(options: new PostgresStoreOptions { GroupCommitMaxRows = 0 });
        var userId = $"solo-{Guid.NewGuid():N}";
        var results = await Task.WhenAll(Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => store.AppendAsync(StoreRequests.Append(userId, $$"""{"i":{{i}}}"""), TestTimeouts.Token())))).Bounded();

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), results.Select(r => r.Notifications.Single().Seq).Order());
        var ids = string.Join(",", results.Select(r => $"'{r.Notifications.Single().Id}'"));
        Assert.Equal(40L, await _schema.ScalarAsync<long>($"SELECT count(DISTINCT xmin::text) FROM notifications WHERE id IN ({ids})"));
    }

    /// <summary>A transaction holding the user's stream row, so the store's next write for that user waits for it.</summary>
    private async Task<RowLock> LockStreamAsync(string userId)
    {
        var connection = new NpgsqlConnection(_schema.ConnectionString);
        await connection.OpenAsync(TestTimeouts.Token());
        var transaction = await connection.BeginTransactionAsync(TestTimeouts.Token());
        await using var command = new NpgsqlCommand("SELECT last_seq FROM user_streams WHERE user_id = @u FOR UPDATE", connection, transaction);
        command.Parameters.AddWithValue("u", userId);
        Assert.NotNull(await command.ExecuteScalarAsync(TestTimeouts.Token()));
        return new RowLock(connection, transaction);
    }

    private sealed class RowLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Polls until the store's writer is waiting for a lock in the database.</summary>
    private Task WaitUntilWriterBlockedAsync() =>
        Poll.UntilAsync(
            async () => await _schema.ScalarAsync<long>(
                $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{_applicationName}' AND wait_event_type = 'Lock'") > 0,
            "the store's writer waits for the row lock",
            TestTimeouts.Default);
}
