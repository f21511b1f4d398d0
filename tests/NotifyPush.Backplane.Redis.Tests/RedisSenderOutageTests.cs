using NotifyPush.Core.Backplane;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// Only the publishing replica loses Redis; the receiving replica stays connected and so never gets a restore
/// signal of its own. The doorbell must still reach it once the publisher reconnects.
/// </summary>
public sealed class RedisSenderOutageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Publish_WhileOnlyTheSendersRedisLinkIsDown_ReachesTheOtherReplicaAfterTheSenderReconnects()
    {
        var redis = TestEnvironment.RequireRedis();
        var separator = redis.LastIndexOf(':');
        await using var link = new TcpForwarder(redis[..separator], int.Parse(redis[(separator + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        link.Start();

        var prefix = RedisBackplanes.NewPrefix();
        await using var sender = RedisBackplanes.Create($"127.0.0.1:{link.Port}", prefix);
        await using var receiver = RedisBackplanes.Create(redis, prefix);
        var receiverListener = new RecordingBackplaneListener();
        sender.SetListener(new RecordingBackplaneListener());
        receiver.SetListener(receiverListener);
        await RedisBackplanes.WaitForHealthAsync(sender, expectConnected: true, Timeout);
        await RedisBackplanes.WaitForHealthAsync(receiver, expectConnected: true, Timeout);
        await receiver.SubscribeAsync("u1", default).WaitAsync(Timeout);

        await sender.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await receiverListener.WaitForMessagesAsync("u1", 1, Timeout);

        await link.StopAsync();
        await RedisBackplanes.WaitForHealthAsync(sender, expectConnected: false, Timeout);
        for (var seq = 2; seq <= 4; seq++)
        {
            await sender.PublishAsync([Notification("u1", seq)], default).WaitAsync(Timeout);
        }

        Assert.Equal(1, sender.OwedDoorbellCount);
        link.Start();
        await RedisBackplanes.WaitForHealthAsync(sender, expectConnected: true, Timeout);

        // One doorbell, the newest: the receiving socket fills 2 and 3 from the store when it sees 4.
        var received = await receiverListener.WaitForMessagesAsync("u1", 2, Timeout);
        Assert.Equal([1L, 4L], received.Select(message => message.Seq));
        Assert.Equal(0, receiverListener.RestoredCount);
        Assert.True(receiver.GetHealth().IsConnected);
    }

    private static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, new byte[] { (byte)'{', (byte)'}' });
}
