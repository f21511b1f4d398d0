using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// Two backplanes on one Redis, as two replicas would be, plus what arrives on a channel from outside.
/// Each test uses its own channel prefix on the shared test Redis.
/// </summary>
public sealed class RedisReplicaTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly string _prefix = RedisBackplanes.NewPrefix();
    private readonly FakeLogger<RedisNotificationBackplane> _logB = new();
    private readonly RecordingBackplaneListener _listenerA = new();
    private readonly RecordingBackplaneListener _listenerB = new();
    private RedisNotificationBackplane? _a;
    private RedisNotificationBackplane? _b;

    private RedisNotificationBackplane A => _a!;

    private RedisNotificationBackplane B => _b!;

    public async Task InitializeAsync()
    {
        var configuration = TestEnvironment.RequireRedis();
        _a = RedisBackplanes.Create(configuration, _prefix);
        _b = RedisBackplanes.Create(configuration, _prefix, _logB);
        _a.SetListener(_listenerA);
        _b.SetListener(_listenerB);
        await RedisBackplanes.WaitForHealthAsync(_a, expectConnected: true, Timeout);
        await RedisBackplanes.WaitForHealthAsync(_b, expectConnected: true, Timeout);
    }

    public async Task DisposeAsync()
    {
        if (_a is not null)
        {
            await _a.DisposeAsync();
        }

        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
    }

    [Fact]
    public async Task Publish_OnReplicaA_ReachesUserSubscribedOnReplicaBOnly()
    {
        await B.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await A.SubscribeAsync("sentinel-a", default).WaitAsync(Timeout);

        await A.PublishAsync([Notification("u1", 1), Notification("u1", 2), Notification("sentinel-a", 1)], default).WaitAsync(Timeout);

        var received = await _listenerB.WaitForMessagesAsync("u1", 2, Timeout);
        Assert.Equal([1L, 2L], received.Select(message => message.Seq));
        Assert.Equal(Frame("u1", 2), received[1].Frame.ToArray());

        // A published after u1's messages to itself; once that is in, u1's would have been too.
        await _listenerA.WaitForMessagesAsync("sentinel-a", 1, Timeout);
        Assert.Empty(_listenerA.ReceivedFor("u1"));
    }

    [Fact]
    public async Task Publish_WhenUserIsSubscribedOnBothReplicas_BothReceive()
    {
        await A.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await B.SubscribeAsync("u1", default).WaitAsync(Timeout);

        await B.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);

        Assert.Equal(1, Assert.Single(await _listenerA.WaitForMessagesAsync("u1", 1, Timeout)).Seq);
        Assert.Equal(1, Assert.Single(await _listenerB.WaitForMessagesAsync("u1", 1, Timeout)).Seq);
    }

    [Fact]
    public async Task Publish_WhenUserHasNoSubscriptionOnThisReplica_NeverReachesItsListener()
    {
        // u1's sockets are on B only; A publishes for u1 and must not see it, while B does.
        await B.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await A.SubscribeAsync("sentinel-a", default).WaitAsync(Timeout);

        await A.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await A.PublishAsync([Notification("sentinel-a", 1)], default).WaitAsync(Timeout);

        await _listenerB.WaitForMessagesAsync("u1", 1, Timeout);
        await _listenerA.WaitForMessagesAsync("sentinel-a", 1, Timeout);
        Assert.Empty(_listenerA.ReceivedFor("u1"));
        Assert.Equal(1, _listenerA.MessageCount);
    }

    [Fact]
    public async Task Unsubscribe_OnReplicaB_StopsDeliveryThereOnly()
    {
        await A.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await B.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await B.SubscribeAsync("sentinel-b", default).WaitAsync(Timeout);

        await B.UnsubscribeAsync("u1", default).WaitAsync(Timeout);
        await A.PublishAsync([Notification("u1", 1), Notification("sentinel-b", 1)], default).WaitAsync(Timeout);

        await _listenerA.WaitForMessagesAsync("u1", 1, Timeout);
        await _listenerB.WaitForMessagesAsync("sentinel-b", 1, Timeout);
        Assert.Empty(_listenerB.ReceivedFor("u1"));
    }

    [Fact]
    public async Task Receive_WhenChannelCarriesGarbage_IgnoresItLogsOnceAndKeepsDelivering()
    {
        await B.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await B.SubscribeAsync("u2", default).WaitAsync(Timeout);
        var channel = RedisChannel.Literal($"{_prefix}:user:u1");
        var valid = RedisMessageCodec.Encode(Notification("u1", 1));
        byte[][] garbage =
        [
            [],
            [0x01],
            "{\"type\":\"notification\"}"u8.ToArray(),
            [0x09, .. valid[1..]],                        // unknown kind
            [.. valid[..9], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], // user id length that never ends
            [.. valid[..9], 0x7F, (byte)'u'],              // user id longer than the payload
            [.. valid[..9], 0x02, 0xC3, 0x28],             // user id that is not UTF-8
            [0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0x02, (byte)'u', (byte)'1'], // negative seq
            RedisMessageCodec.Encode(Notification("u2", 7)), // another user's message on u1's channel
        ];

        using (var raw = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RequireRedis()).WaitAsync(Timeout))
        {
            var subscriber = raw.GetSubscriber();
            foreach (var payload in garbage)
            {
                await subscriber.PublishAsync(channel, payload).WaitAsync(Timeout);
            }

            await subscriber.PublishAsync(channel, valid).WaitAsync(Timeout);
        }

        var received = Assert.Single(await _listenerB.WaitForMessagesAsync("u1", 1, Timeout));
        Assert.Equal(1, received.Seq);
        Assert.Equal(Frame("u1", 1), received.Frame.ToArray());
        Assert.Empty(_listenerB.ReceivedFor("u2"));
        var malformed = _logB.Collector.GetSnapshot().Where(record => record.Id.Id == NotifyPushEventIds.RedisMessageMalformed).ToList();
        Assert.Equal(1, malformed.Count(record => record.Level == LogLevel.Warning));
        Assert.Equal(garbage.Length - 1, malformed.Count(record => record.Level == LogLevel.Debug));

        // Still delivering after the garbage.
        await A.PublishAsync([Notification("u1", 2)], default).WaitAsync(Timeout);
        Assert.Equal([1L, 2L], (await _listenerB.WaitForMessagesAsync("u1", 2, Timeout)).Select(message => message.Seq));
    }

    [Fact]
    public async Task Subscribe_WhenTokenIsCancelled_ThrowsAndLeavesTheUserUnsubscribed()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await B.SubscribeAsync("sentinel-b", default).WaitAsync(Timeout);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => B.SubscribeAsync("u1", cancelled.Token).WaitAsync(Timeout));
        await A.PublishAsync([Notification("u1", 1), Notification("sentinel-b", 1)], default).WaitAsync(Timeout);

        await _listenerB.WaitForMessagesAsync("sentinel-b", 1, Timeout);
        Assert.Empty(_listenerB.ReceivedFor("u1"));
    }

    [Fact]
    public async Task Subscribe_WhenUserIdIsStar_SubscribesTheLiteralChannelAndNoPattern()
    {
        await B.SubscribeAsync("*", default).WaitAsync(Timeout);

        using var raw = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RequireRedis()).WaitAsync(Timeout);
        var server = raw.GetServer(raw.GetEndPoints().Single());
        var literal = RedisChannel.Literal($"{_prefix}:user:*");

        Assert.Equal(1, await server.SubscriptionSubscriberCountAsync(literal).WaitAsync(Timeout));
        Assert.Equal(0, await server.SubscriptionSubscriberCountAsync(RedisChannel.Literal($"{_prefix}:user:u1")).WaitAsync(Timeout));
        // No NotifyPush component subscribes to patterns; a PSUBSCRIBE for "*" would show here.
        Assert.Equal(0, await server.SubscriptionPatternCountAsync().WaitAsync(Timeout));
    }

    private static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, Frame(userId, seq));

    private static byte[] Frame(string userId, long seq) =>
        System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"notification\",\"seq\":{seq},\"user\":\"{userId}\"}}");
}
