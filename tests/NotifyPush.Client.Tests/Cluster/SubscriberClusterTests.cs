using NotifyPush.Client.Subscribing;
using NotifyPush.Client.Tests.Infrastructure;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Cluster;

/// <summary>
/// The subscriber across real replicas sharing Redis and Postgres, behind a balancer without sticky sessions: it
/// resumes on another replica when its own drains (1012) or is killed, and loses nothing.
/// </summary>
[Collection(ClientClusterCollection.Name)]
public sealed class SubscriberClusterTests
{
    [Fact]
    public async Task WhenItsReplicaDrains_TheSubscriberGets1012AndResumesOnAnotherWithNothingLost()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 2);
        var victim = cluster.InProcessReplicas.First();
        var survivor = cluster.InProcessReplicas.Last();
        var user = NewUser();
        var (publisher, http) = Publisher(survivor.BaseAddress);
        using var _ = http;
        using var balancer = FirstOn(cluster, victim);
        await using var reader = new RecordingSubscriber(Through(balancer, user));
        await reader.WaitUntilSyncedAsync();
        for (var i = 0; i < 3; i++)
        {
            await publisher.SendAsync(user, "before-drain").WithTimeout();
        }

        await reader.WaitForSeqAsync(3);
        await victim.StopGracefullyAsync(TimeSpan.FromSeconds(60));
        for (var i = 0; i < 3; i++)
        {
            await publisher.SendAsync(user, "after-drain").WithTimeout();
        }

        await reader.WaitForSeqAsync(6);

        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], reader.ReceivedSeqs);
        var disconnect = Assert.Single(reader.Disconnects);
        Assert.Equal(NotifyPushCloseCodes.ServiceRestart, disconnect.CloseCode);
        Assert.True(disconnect.WillReconnect);
        Assert.Equal([victim.BaseAddress, survivor.BaseAddress], balancer.Picks);
        Assert.All(reader.Synced, s => Assert.True(s.Recovered));
        // The acks went to whichever replica the socket was on; the user's stream has them all.
        await ServiceApi.EventuallyAsync(async () => (await publisher.GetHistoryAsync(user)).AckedSeq == 6, "every seq is acknowledged");
    }

    [Fact]
    public async Task WhenItsReplicaIsKilled_TheSubscriberResumesOnAnotherWithNothingLost()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1);
        var survivor = cluster.InProcessReplicas.Single();
        var victim = await cluster.AddProcessReplicaAsync();
        var user = NewUser();
        var (publisher, http) = Publisher(survivor.BaseAddress);
        using var _ = http;
        using var balancer = FirstOn(cluster, victim);
        await using var reader = new RecordingSubscriber(Through(balancer, user));
        await reader.WaitUntilSyncedAsync();
        await publisher.SendAsync(user, "before-kill").WithTimeout();
        await publisher.SendAsync(user, "before-kill").WithTimeout();
        await reader.WaitForSeqAsync(2);

        // A crash: no drain, no close frame; the kernel drops the connection. The load balancer's health check then
        // takes the replica out.
        await victim.KillAsync();
        victim.InRotation = false;
        await publisher.SendAsync(user, "after-kill").WithTimeout();
        await reader.WaitForSeqAsync(3);

        Assert.Equal([1L, 2L, 3L], reader.ReceivedSeqs);
        // The socket dropped without a close frame; a reconnect may still have been sent to the dead address before
        // it left the rotation, and was refused.
        var disconnects = reader.Disconnects;
        Assert.Equal(NotifyPushCloseCodes.Abnormal, disconnects[0].CloseCode);
        Assert.Null(disconnects[0].HandshakeStatus);
        Assert.All(disconnects, d => Assert.True(d.WillReconnect));
        Assert.All(disconnects.Skip(1), d => Assert.StartsWith("connect failed", d.Reason));
        Assert.Equal(survivor.BaseAddress, balancer.Picks[^1]);
        Assert.All(reader.Synced, s => Assert.True(s.Recovered));
    }

    [Fact]
    public async Task AFanOutThroughOneReplica_ReachesSubscribersOnEveryReplica()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 3);
        var replicas = cluster.InProcessReplicas.ToArray();
        var users = replicas.Select(_ => NewUser()).ToArray();
        var (publisher, http) = Publisher(replicas[0].BaseAddress);
        using var _ = http;
        var balancers = replicas.Select(r => new ReplicaBalancer(() => r.BaseAddress)).ToArray();
        var readers = users.Select((user, i) => new RecordingSubscriber(Through(balancers[i], user))).ToArray();
        try
        {
            foreach (var reader in readers)
            {
                await reader.WaitUntilSyncedAsync();
            }

            var result = await publisher.SendAsync(users, "announcement", new { text = "hello" }).WithTimeout();

            Assert.Equal(users, result.Notifications.Select(n => n.UserId));
            foreach (var (reader, i) in readers.Select((r, i) => (r, i)))
            {
                await reader.WaitForSeqAsync(1);
                var received = Assert.Single(reader.Received);
                Assert.Equal(result.Notifications[i].Id, received.Id);
                Assert.Equal("hello", received.Payload.GetProperty("text").GetString());
                Assert.False(received.Replayed);
                Assert.Equal(replicas[i].BaseAddress, Assert.Single(balancers[i].Picks));
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }

            foreach (var balancer in balancers)
            {
                balancer.Dispose();
            }
        }
    }

    /// <summary>A balancer whose first connection goes to <paramref name="first"/>, later ones to a random replica in rotation.</summary>
    private static ReplicaBalancer FirstOn(TestCluster cluster, ClusterReplica first)
    {
        var random = new Random(17);
        var connections = 0;
        return new ReplicaBalancer(() => (Interlocked.Increment(ref connections) == 1 ? first : cluster.PickReplica(random)).BaseAddress);
    }

    private static NotifyPushSubscriberOptions Through(ReplicaBalancer balancer, string user)
    {
        var options = SubscriberOptions(ReplicaBalancer.SocketUri, user);
        options.HttpMessageInvoker = balancer.Invoker;
        return options;
    }
}
