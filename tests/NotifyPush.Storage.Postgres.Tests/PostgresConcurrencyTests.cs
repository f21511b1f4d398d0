using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>Seq assignment and fan-out under real concurrency, which only a server store can show.</summary>
public sealed class PostgresConcurrencyTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync() => _store = await _schema.CreateInitializedStoreAsync();

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Append_When16WritersSend100EachToOneUser_SeqsAreExactly1To1600()
    {
        const int writers = 16;
        const int perWriter = 100;
        var userId = $"hot-{Guid.NewGuid():N}";

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var seqs = new List<long>(perWriter);
            for (var i = 0; i < perWriter; i++)
            {
                var result = await _store.AppendAsync(StoreRequests.Append(userId, $$"""{"writer":{{w}},"i":{{i}}}"""), TestTimeouts.Token());
                seqs.Add(Assert.Single(result.Notifications).Seq);
            }

            return seqs;
        }));
        var perWriterSeqs = await Task.WhenAll(tasks).Bounded();

        // Each writer saw its own seqs increase (its appends commit one after the other)…
        Assert.All(perWriterSeqs, seqs => Assert.Equal(seqs.Order(), seqs));

        // …and together the writers got every seq exactly once, and the store holds exactly those.
        var expected = Enumerable.Range(1, writers * perWriter).Select(i => (long)i).ToList();
        Assert.Equal(expected, perWriterSeqs.SelectMany(s => s).Order().ToList());
        var stored = await _store.ReadAsync(userId, 0, 10_000, StoreRequests.Now, TestTimeouts.Token());
        Assert.Equal(expected, stored.Select(n => n.Seq).ToList());
        Assert.Equal(stored.Count, stored.Select(n => n.Id).Distinct().Count());
        Assert.Equal(writers * perWriter, (await _store.GetStreamStateAsync(userId, TestTimeouts.Token())).LastSeq);
    }

    [Fact]
    public async Task Append_WhenTwoFanOutsOverlapInReverseOrder_NeverDeadlocksAndEveryStreamIsContiguous()
    {
        const int rounds = 20;
        var users = StoreRequests.Users($"fan-{Guid.NewGuid():N}", 400);
        var ascending = users[..300];
        var descending = users[100..].Reverse().ToArray();

        for (var round = 0; round < rounds; round++)
        {
            // A deadlock would surface here as StoreUnavailableException (40P01) from one of the two.
            await Task.WhenAll(
                Task.Run(() => _store.AppendAsync(StoreRequests.Append(ascending), TestTimeouts.Token())),
                Task.Run(() => _store.AppendAsync(StoreRequests.Append(descending), TestTimeouts.Token()))).Bounded();
        }

        foreach (var user in users)
        {
            var expectedCount = (ascending.Contains(user) ? rounds : 0) + (descending.Contains(user) ? rounds : 0);
            var stored = await _store.ReadAsync(user, 0, 1000, StoreRequests.Now, TestTimeouts.Token());
            Assert.Equal(Enumerable.Range(1, expectedCount).Select(i => (long)i), stored.Select(n => n.Seq));
            Assert.Equal(expectedCount, (await _store.GetStreamStateAsync(user, TestTimeouts.Token())).LastSeq);
        }
    }

    [Fact]
    public async Task Acknowledge_WhenAckBatchesRunInReverseOrderAgainstFanOuts_NeverDeadlocks()
    {
        const int rounds = 20;
        var users = StoreRequests.Users($"ack-{Guid.NewGuid():N}", 300);
        await _store.AppendAsync(StoreRequests.Append(users), TestTimeouts.Token());

        for (var round = 0; round < rounds; round++)
        {
            // Acks arrive in any order (one batch per replica flush); they lock stream rows in user_id order anyway.
            var acks = users.Reverse().Select(u => new StreamAck(u, round + 1)).ToList();
            await Task.WhenAll(
                Task.Run(() => _store.AppendAsync(StoreRequests.Append(users), TestTimeouts.Token())),
                Task.Run(() => _store.AcknowledgeAsync(acks, TestTimeouts.Token()))).Bounded();
        }

        foreach (var user in users)
        {
            Assert.Equal(new UserStreamState(rounds + 1, rounds, 0), await _store.GetStreamStateAsync(user, TestTimeouts.Token()));
        }
    }

    [Fact]
    public async Task Append_WhenFanOutTo10000Users_StoresOneRowPerUserInRequestOrder()
    {
        var users = StoreRequests.Users($"big-{Guid.NewGuid():N}", 10_000);
        Array.Reverse(users);

        var result = await _store.AppendAsync(StoreRequests.Append(users), TestTimeouts.Token());

        Assert.False(result.IsReplay);
        Assert.Equal(users, result.Notifications.Select(n => n.UserId));
        Assert.All(result.Notifications, n => Assert.Equal(1, n.Seq));
        Assert.Equal(10_000, result.Notifications.Select(n => n.Id).Distinct().Count());
        Assert.Equal(10_000L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notifications"));
        Assert.Equal(10_000L, await _schema.ScalarAsync<long>("SELECT count(*) FROM user_streams WHERE last_seq = 1"));
    }

    [Fact]
    public async Task Append_WhenEightRequestsWithOneIdempotencyKeyRace_StoresOnceAndTheOthersReplayIt()
    {
        var users = StoreRequests.Users($"idem-{Guid.NewGuid():N}", 50);
        var request = StoreRequests.Append(users, idempotencyKey: "key-1");

        var results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() => _store.AppendAsync(request, TestTimeouts.Token())))).Bounded();

        Assert.Single(results, r => !r.IsReplay);
        var original = results.Single(r => !r.IsReplay).Notifications;
        Assert.All(results, r => Assert.Equal(original, r.Notifications));
        foreach (var user in users)
        {
            Assert.Equal(1, (await _store.GetStreamStateAsync(user, TestTimeouts.Token())).LastSeq);
        }
    }

    [Fact]
    public async Task Cleanup_WhenAnotherReplicaIsCleaningUp_SkipsThePassAndLeavesTheRows()
    {
        var users = StoreRequests.Users($"gc-{Guid.NewGuid():N}", 20);
        await _store.AppendAsync(StoreRequests.Append(users, ttl: TimeSpan.FromMinutes(1)), TestTimeouts.Token());
        var later = StoreRequests.Now.AddHours(1);

        // Another replica mid-pass holds the cleanup lock of this schema.
        var lockKey = $"{PostgresNotificationStore.CleanupLockClass}, hashtext(current_schema())";
        await using (var otherReplica = new NpgsqlConnection(_schema.ConnectionString))
        {
            await otherReplica.OpenAsync(TestTimeouts.Token());
            await using var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_lock({lockKey})", otherReplica);
            await lockCommand.ExecuteNonQueryAsync(TestTimeouts.Token());

            var skipped = await _store.CleanupAsync(later, TimeSpan.FromDays(7), 100, TestTimeouts.Token());

            Assert.Equal(new CleanupResult(0, HasMore: false), skipped);
            Assert.Equal(20L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notifications"));

            // Released explicitly: a closed session drops its locks only once its backend has exited.
            await using var unlockCommand = new NpgsqlCommand($"SELECT pg_advisory_unlock({lockKey})", otherReplica);
            Assert.True((bool)(await unlockCommand.ExecuteScalarAsync(TestTimeouts.Token()))!);
        }

        // The other replica is done; the next pass does the work.
        var pass = await _store.CleanupAsync(later, TimeSpan.FromDays(7), 100, TestTimeouts.Token());

        Assert.Equal(new CleanupResult(20, HasMore: false), pass);
        foreach (var user in users)
        {
            Assert.Equal(new UserStreamState(1, 0, 1), await _store.GetStreamStateAsync(user, TestTimeouts.Token()));
        }
    }
}
