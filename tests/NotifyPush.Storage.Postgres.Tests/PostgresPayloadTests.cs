namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// The payload column is json, not jsonb: what the sender wrote is what the client gets. A send stores its payload once,
/// in notification_payloads, whatever its recipient count.
/// </summary>
public sealed class PostgresPayloadTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync() => _store = await _schema.CreateInitializedStoreAsync();

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Theory]
    [InlineData("""{"b":1,"a":[1, 2.50,"x"],"b":2}""")]
    [InlineData("""{ "text": "caf\u00e9 ☕", "big": 12345678901234567890 }""")]
    [InlineData("\"just a string\"")]
    [InlineData("null")]
    public async Task Read_ReturnsThePayloadTextByteForByte(string payload)
    {
        var userId = $"p-{Guid.NewGuid():N}";

        await _store.AppendAsync(StoreRequests.Append(userId, payload), TestTimeouts.Token());
        var read = await _store.ReadAsync(userId, 0, 10, StoreRequests.Now, TestTimeouts.Token());

        Assert.Equal(payload, Assert.Single(read).PayloadJson);
    }

    [Fact]
    public async Task Append_FanOutTo500Users_StoresThePayloadOnceAndEveryRecipientReadsItWhole()
    {
        var users = StoreRequests.Users($"once-{Guid.NewGuid():N}", 500);
        var payload = $$"""{"blob":"{{new string('x', 20_000)}}"}""";

        await _store.AppendAsync(StoreRequests.Append(users, payload), TestTimeouts.Token());

        Assert.Equal(1L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notification_payloads"));
        Assert.Equal(500L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE payload IS NULL AND payload_id IS NOT NULL"));
        foreach (var user in users)
        {
            var read = await _store.ReadAsync(user, 0, 10, StoreRequests.Now, TestTimeouts.Token());
            Assert.Equal(payload, Assert.Single(read).PayloadJson);
        }
    }

    [Fact]
    public async Task Append_ConcurrentSmallSendsCommittedTogether_EachToSeveralUsersStoresItsPayloadOnce_EachToOneKeepsItInItsRow()
    {
        var prefix = $"group-{Guid.NewGuid():N}";
        int Recipients(int send) => send % 2 == 0 ? 3 : 1;

        // Small sends arriving together are committed in one statement (group commit); each send to several users gets
        // its own payload row, each send to one user keeps its payload in its one row.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() =>
            _store.AppendAsync(StoreRequests.Append(StoreRequests.Users($"{prefix}-{i}", Recipients(i)), $$"""{"send":{{i}}}"""), TestTimeouts.Token())))).Bounded();

        Assert.Equal(10L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notification_payloads"));
        Assert.Equal(10L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE payload IS NOT NULL AND payload_id IS NULL"));
        for (var i = 0; i < 20; i++)
        {
            foreach (var user in StoreRequests.Users($"{prefix}-{i}", Recipients(i)))
            {
                var read = await _store.ReadAsync(user, 0, 10, StoreRequests.Now, TestTimeouts.Token());
                Assert.Equal($$"""{"send":{{i}}}""", Assert.Single(read).PayloadJson);
            }
        }
    }

    [Fact]
    public async Task Append_AloneToOneUser_KeepsThePayloadInItsRow()
    {
        await using var store = _schema.CreateStore(options: new PostgresStoreOptions { GroupCommitMaxRows = 0 });
        var userId = $"one-{Guid.NewGuid():N}";

        await store.AppendAsync(StoreRequests.Append(userId, """{"solo":1}"""), TestTimeouts.Token());

        Assert.Equal(0L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notification_payloads"));
        var read = await store.ReadAsync(userId, 0, 10, StoreRequests.Now, TestTimeouts.Token());
        Assert.Equal("""{"solo":1}""", Assert.Single(read).PayloadJson);
    }

    [Fact]
    public async Task Read_ARowWrittenBeforeSharedPayloads_ReturnsItsOwnInlinePayload()
    {
        var userId = $"old-{Guid.NewGuid():N}";

        // As a replica of the previous version (or version 4 of the schema) wrote it: the payload in the row.
        await _schema.ScalarAsync<int>($$"""
            WITH s AS (INSERT INTO user_streams (user_id, last_seq) VALUES ('{{userId}}', 1) RETURNING 1)
            INSERT INTO notifications (user_id, seq, id, type, payload, created_at, expires_at)
            SELECT '{{userId}}', 1, gen_random_uuid(), 'old.event', '{"kept": [1, 2]}'::json, TIMESTAMPTZ '2026-11-21 09:00:00Z', TIMESTAMPTZ '2026-11-28 09:00:00Z'
            FROM s
            RETURNING 1
            """);
        await _store.AppendAsync(StoreRequests.Append(userId, """{"new":true}"""), TestTimeouts.Token());

        var read = await _store.ReadAsync(userId, 0, 10, StoreRequests.Now, TestTimeouts.Token());

        Assert.Equal(["""{"kept": [1, 2]}""", """{"new":true}"""], read.Select(n => n.PayloadJson));
    }

    [Fact]
    public async Task Cleanup_RemovesASendsPayloadRowOnceItExpired_AndKeepsLiveOnes()
    {
        var prefix = $"gone-{Guid.NewGuid():N}";
        await _store.AppendAsync(StoreRequests.Append(StoreRequests.Users($"{prefix}-short", 3), """{"ttl":"hour"}""", ttl: TimeSpan.FromHours(1)), TestTimeouts.Token());
        await _store.AppendAsync(StoreRequests.Append(StoreRequests.Users($"{prefix}-long", 3), """{"ttl":"week"}"""), TestTimeouts.Token());

        await _store.CleanupAsync(StoreRequests.Now.AddHours(2), TimeSpan.FromDays(1), batchSize: 100, TestTimeouts.Token());

        Assert.Equal("""{"ttl":"week"}""", await _schema.ScalarAsync<string>("SELECT payload::text FROM notification_payloads"));
        Assert.Equal(0L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE user_id LIKE '{prefix}-short%'"));
        var live = await _store.ReadAsync($"{prefix}-long-00000", 0, 10, StoreRequests.Now.AddHours(2), TestTimeouts.Token());
        Assert.Equal("""{"ttl":"week"}""", Assert.Single(live).PayloadJson);
    }

    [Fact]
    public async Task Cleanup_InBatchesSmallerThanAFanOut_KeepsThePayloadUntilItsLastRowIsGone()
    {
        var prefix = $"partial-{Guid.NewGuid():N}";
        await _store.AppendAsync(StoreRequests.Append(StoreRequests.Users(prefix, 5), """{"big":true}""", ttl: TimeSpan.FromHours(1)), TestTimeouts.Token());
        var later = StoreRequests.Now.AddHours(2);

        // Two of the five expired rows go in this pass; the payload row must stay for the three still stored, which
        // an expired-row-aware read (the gap fill's, at the epoch) still returns with their payload.
        await _store.CleanupAsync(later, TimeSpan.FromDays(1), batchSize: 2, TestTimeouts.Token());

        Assert.Equal(3L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE user_id LIKE '{prefix}%'"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notification_payloads"));
        var remaining = await _schema.ScalarAsync<string>($"SELECT user_id FROM notifications WHERE user_id LIKE '{prefix}%' ORDER BY user_id LIMIT 1");
        var row = Assert.Single(await _store.ReadAsync(remaining!, 0, 10, DateTimeOffset.UnixEpoch, TestTimeouts.Token()));
        Assert.Equal("""{"big":true}""", row.PayloadJson);

        for (var pass = 0; pass < 5; pass++)
        {
            await _store.CleanupAsync(later, TimeSpan.FromDays(1), batchSize: 2, TestTimeouts.Token());
        }

        Assert.Equal(0L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM notifications WHERE user_id LIKE '{prefix}%'"));
        Assert.Equal(0L, await _schema.ScalarAsync<long>("SELECT count(*) FROM notification_payloads"));
    }
}
