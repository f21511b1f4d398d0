using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Server.Tests.WebPush;

/// <summary>
/// The queue lives in PostgreSQL: a replica stopped in the middle of a push leaves it to the next one, and two replicas
/// on one database never both send a push. Each test owns a schema of the test PostgreSQL.
/// </summary>
public sealed class WebPushReplicaTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly VapidKeyPair _vapid = VapidKeyPair.Create();
    private readonly string _schema = $"web_push_{Guid.NewGuid():N}";
    private PushServiceStandIn _push = null!;

    public async Task InitializeAsync() => _push = await PushServiceStandIn.StartAsync(_vapid.PublicKey);

    public async Task DisposeAsync()
    {
        await _push.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestEnvironment.RequirePostgres());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }

    private readonly string _channelPrefix = $"webpush-{Guid.NewGuid():N}";

    private NotifyPushTestServer Replica(int leaseSeconds = 60, bool redis = false, int delaySeconds = 30, int pollMilliseconds = 100)
    {
        var settings = _vapid.Settings(delaySeconds);
        settings["NotifyPush:WebPush:PollIntervalMilliseconds"] = pollMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (redis)
        {
            settings["NotifyPush:Backplane:Provider"] = "Redis";
            settings["NotifyPush:Backplane:Configuration"] = TestEnvironment.RequireRedis();
            settings["NotifyPush:Backplane:ChannelPrefix"] = _channelPrefix;
        }

        settings["NotifyPush:Store:Provider"] = "Postgres";
        settings["NotifyPush:Store:ConnectionString"] = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres()) { SearchPath = _schema }.ConnectionString;
        settings["NotifyPush:WebPush:LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["NotifyPush:WebPush:RequestTimeoutSeconds"] = "2";
        return new NotifyPushTestServer(settings);
    }

    [Fact]
    public async Task Replica_StoppedInTheMiddleOfAPush_LeavesIt_AndTheReplicaStartedAgainSendsIt()
    {
        var userId = $"user-{Guid.NewGuid():N}";
        var browser = _push.NewSubscription();
        long seq;
        using (var first = Replica(leaseSeconds: 5))
        {
            await WebPushClient.SubscribeAsync(first, userId, browser);

            // The push service takes the request and never answers: the replica stops with the push in flight and
            // its job leased, neither completed nor rescheduled, as a crash would leave it.
            _push.Answer(browser, PushServiceStandIn.Hold);
            using var api = first.CreateServiceClient();
            (seq, _) = await WebPushClient.SendAsync(api, userId);
            await Poll.UntilAsync(() => _push.HeldCount == 1, "the push was in flight", Bound);
        }

        Assert.Empty(_push.Delivered(browser));

        using var again = Replica(leaseSeconds: 5);

        await Poll.UntilAsync(() => _push.Delivered(browser).Count == 1, "the restarted replica sent the push once the lease ran out", Bound, () => string.Join("; ", _push.Errors));
        Assert.Equal(seq, Assert.Single(_push.Delivered(browser)).Seq);
        await Poll.UntilAsync(async () => await again.GetService<IWebPushStore>().CountPushJobsAsync(CancellationToken.None) == 0, "the job was done", Bound);
    }

    [Fact]
    public async Task UserOnlineOnAnotherReplica_IsNotPushed_WhileItWaitsForTheAck()
    {
        // Presence across replicas through Redis. The socket is on one, the send on two, whose worker the send wakes;
        // one's worker polls once a minute, so two claims the job and can only know the user is online from Redis.
        using var one = Replica(redis: true, delaySeconds: 600, pollMilliseconds: 60_000);
        using var two = Replica(redis: true, delaySeconds: 600);
        var userId = $"user-{Guid.NewGuid():N}";
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(two, userId, browser);
        await using var socket = await TestSocket.ConnectAsync(one, userId);
        await socket.ReadUntilSyncedAsync();
        using var api = two.CreateServiceClient();
        await Poll.UntilAsync(
            async () => System.Text.Json.JsonDocument.Parse(await api.GetStringAsync($"/api/users/{userId}/presence")).RootElement.GetProperty("online").GetBoolean(),
            "the other replica sees the user online",
            Bound);

        var (seq, _) = await WebPushClient.SendAsync(api, userId);

        Assert.Equal(seq, Assert.Single(await socket.ReadNotificationsAsync(1)).GetProperty("seq").GetInt64());
        await Poll.UntilAsync(
            () => two.Logs.Any(record => record.Id.Id == Core.Diagnostics.NotifyPushEventIds.WebPushWaitingForAck),
            "the other replica's worker found the user online and waited",
            Bound);
        Assert.Empty(_push.Received);
    }

    [Fact]
    public async Task TwoReplicasOnOneDatabase_SendEachPushOnce()
    {
        using var one = Replica();
        using var two = Replica();
        using var apiOne = one.CreateServiceClient();
        using var apiTwo = two.CreateServiceClient();
        var browsers = new List<(string UserId, BrowserSubscription Browser)>();
        for (var i = 0; i < 10; i++)
        {
            var userId = $"user-{i}-{Guid.NewGuid():N}";
            var browser = _push.NewSubscription();
            await WebPushClient.SubscribeAsync(i % 2 == 0 ? one : two, userId, browser);
            browsers.Add((userId, browser));
        }

        // Each replica's sends wake its own worker at once; the other one polls the same queue.
        var sent = new List<Guid>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var (userId, _) in browsers)
            {
                sent.Add((await WebPushClient.SendAsync(round % 2 == 0 ? apiOne : apiTwo, userId)).Id);
            }
        }

        await Poll.UntilAsync(async () => await one.GetService<IWebPushStore>().CountPushJobsAsync(CancellationToken.None) == 0, "every push job was done", Bound);
        Assert.Empty(_push.Errors);
        var delivered = _push.Received.Where(push => push.Status == 201).Select(push => push.NotificationId).ToList();
        Assert.Equal(sent.Order(), delivered.Order());
    }
}
