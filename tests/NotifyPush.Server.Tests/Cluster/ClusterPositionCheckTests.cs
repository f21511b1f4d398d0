using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A lost doorbell costs latency, never the notification: a notification committed on one replica whose doorbell is
/// never published (its sender stopped between the commit and the publish) reaches the user's open sockets on the
/// other replicas within the position check's interval, on the same connections.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterPositionCheckTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CommittedWithoutADoorbell_ReachesTheOpenSocketsOnTheOtherReplicasWithinTheCheckInterval()
    {
        await using var cluster = await TestCluster.StartAsync(
            replicas: 3,
            settings: new Dictionary<string, string?> { ["NotifyPush:Delivery:PositionCheckSeconds"] = "1" });
        var (sender, holderA, holderB) = (cluster.InProcessReplicas.ElementAt(0), cluster.Replicas[1], cluster.Replicas[2]);
        var user = $"user-{Guid.NewGuid():N}";
        await using var tab1 = await TestSocket.ConnectAsync(holderA.SocketUriFor(user));
        await using var tab2 = await TestSocket.ConnectAsync(holderA.SocketUriFor(user));
        await using var tab3 = await TestSocket.ConnectAsync(holderB.SocketUriFor(user));
        TestSocket[] tabs = [tab1, tab2, tab3];
        foreach (var tab in tabs)
        {
            await tab.ReadUntilSyncedAsync(Timeout);
        }

        // The sender's store commits; nothing is published, as when the sender dies right after its commit.
        var now = DateTimeOffset.UtcNow;
        var committed = await sender.Server.Services.GetRequiredService<INotificationStore>()
            .AppendAsync(new AppendRequest("test", null, "hash", [user], "lost.doorbell", """{"lost":true}""", now, now.AddDays(1)), CancellationToken.None)
            .WaitAsync(Timeout);
        Assert.Equal(1, Assert.Single(committed.Notifications).Seq);

        foreach (var tab in tabs)
        {
            // The bound is the 1 s interval plus a read; 15 s leaves a loaded machine a wide margin.
            var frame = await tab.NextOfTypeAsync("notification", TimeSpan.FromSeconds(15));
            Assert.Equal(1, frame.GetProperty("seq").GetInt64());
            Assert.Equal("lost.doorbell", frame.GetProperty("event").GetString());
        }

        // The same connections go on with the live path.
        await ServiceApi.SendAsync(sender.Api, user);
        foreach (var tab in tabs)
        {
            Assert.Equal(2, (await tab.NextOfTypeAsync("notification", Timeout)).GetProperty("seq").GetInt64());
            Assert.False(tab.Closed.IsCompleted, "the socket got both without a reconnect");
        }
    }
}
