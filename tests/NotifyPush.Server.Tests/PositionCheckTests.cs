using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// The position check on one replica (SQLite, in-process backplane): a notification committed without a doorbell
/// reaches the open socket, the heads are read in batches, and a failing store costs one log line, not the check.
/// The multi-replica case is <see cref="Cluster.ClusterPositionCheckTests"/>.
/// </summary>
public sealed class PositionCheckTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PositionCheck_WhenANotificationWasCommittedWithoutADoorbell_SendsItToTheOpenSocketWithoutAReconnect()
    {
        using var server = new NotifyPushTestServer(Settings(intervalSeconds: 1));
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();

        await AppendWithoutDoorbellAsync(server, user);

        var frame = await socket.NextOfTypeAsync("notification", Timeout);
        Assert.Equal(1, frame.GetProperty("seq").GetInt64());
        Assert.Equal("test.silent", frame.GetProperty("event").GetString());
        Assert.False(socket.Closed.IsCompleted, "the same socket got it, without a reconnect");
    }

    [Fact]
    public async Task PositionCheck_ReadsTheHeadsOfManyUsersPerQuery_NeverOneQueryPerSocket()
    {
        HeadsProbeStore? probe = null;
        var settings = Settings(intervalSeconds: 1);
        settings["NotifyPush:Delivery:PositionCheckBatchSize"] = "10";
        using var server = new NotifyPushTestServer(settings, services: services => HeadsProbeStore.Install(services, store => probe = store));
        var sockets = new List<TestSocket>();
        try
        {
            for (var i = 0; i < 25; i++)
            {
                var socket = await TestSocket.ConnectAsync(server, NewUser());
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync();
            }

            Assert.NotNull(probe);
            var stateReadsAfterConnect = probe.StreamStateReads;
            var passesBefore = FullPasses(server).Count;
            await ServiceApi.EventuallyAsync(() => Task.FromResult(FullPasses(server).Count >= passesBefore + 2), "two position checks of the 25 users ran", Timeout);

            var pass = FullPasses(server)[^1];
            Assert.Equal("3", pass.GetStructuredStateValue("QueryCount"));
            Assert.Equal("0", pass.GetStructuredStateValue("CatchUpCount"));
            Assert.InRange(probe.LargestBatch, 5, 10);
            Assert.Equal(stateReadsAfterConnect, probe.StreamStateReads);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task PositionCheck_WhenTheStoreFails_LogsItOnceKeepsCheckingAndCatchesUpOnceTheStoreIsBack()
    {
        HeadsProbeStore? probe = null;
        using var server = new NotifyPushTestServer(Settings(intervalSeconds: 1), services: services => HeadsProbeStore.Install(services, store => probe = store));
        var user = NewUser();
        await using var socket = await TestSocket.ConnectAsync(server, user);
        await socket.ReadUntilSyncedAsync();
        Assert.NotNull(probe);

        probe.FailHeads = true;
        await AppendWithoutDoorbellAsync(server, user);
        await ServiceApi.EventuallyAsync(() => Task.FromResult(probe.FailedHeadsCalls >= 3), "three position checks failed", Timeout);
        Assert.Equal(1, CountEvents(server, NotifyPushEventIds.PositionCheckFailed));
        Assert.Empty(socket.ReceivedSeqs);

        probe.FailHeads = false;
        var frame = await socket.NextOfTypeAsync("notification", Timeout);
        Assert.Equal(1, frame.GetProperty("seq").GetInt64());
        Assert.Equal(1, CountEvents(server, NotifyPushEventIds.PositionCheckFailed));
        await ServiceApi.EventuallyAsync(() => Task.FromResult(CountEvents(server, NotifyPushEventIds.PositionCheckRecovered) == 1), "the recovery is logged", Timeout);
        Assert.False(socket.Closed.IsCompleted, "the socket stayed open through the outage");
    }

    private static Dictionary<string, string?> Settings(int intervalSeconds) =>
        new() { ["NotifyPush:Delivery:PositionCheckSeconds"] = intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static List<FakeLogRecord> FullPasses(NotifyPushTestServer server) =>
        server.Logs.Where(log => log.Id.Id == NotifyPushEventIds.PositionCheckPass && log.GetStructuredStateValue("UserCount") == "25").ToList();

    private static int CountEvents(NotifyPushTestServer server, int eventId) => server.Logs.Count(log => log.Id.Id == eventId);

    /// <summary>Commits a notification straight into the server's store, as a sender stopped before its publish would: no doorbell rings.</summary>
    private static async Task AppendWithoutDoorbellAsync(NotifyPushTestServer server, string user)
    {
        var now = DateTimeOffset.UtcNow;
        var request = new AppendRequest("test", null, "hash", [user], "test.silent", """{"silent":true}""", now, now.AddDays(1));
        await server.GetService<INotificationStore>().AppendAsync(request, CancellationToken.None).WaitAsync(Timeout);
    }
}
