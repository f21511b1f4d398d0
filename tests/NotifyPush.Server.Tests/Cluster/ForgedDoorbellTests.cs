using System.Buffers.Binary;
using System.Text;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// Whoever can publish to Redis can ring any user's doorbell with any seq. A seq the store does not hold must neither
/// reach the socket nor stall it: the gap fill from the store decides what is sent and where the socket stands.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForgedDoorbellTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ForgedDoorbell_WithSeqTwoToTheSixtySecond_IsDroppedAndTheNextRealSendArrivesWithTheNextSeq()
    {
        await using var cluster = await TestCluster.StartAsync(replicas: 1);
        var replica = cluster.Replicas[0];
        var user = $"user-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(replica.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync(Timeout);
        await ServiceApi.SendAsync(replica.Api, user);
        Assert.Equal(1, (await socket.NextOfTypeAsync("notification", Timeout)).GetProperty("seq").GetInt64());

        const long forgedSeq = 1L << 62;
        var gapsBefore = cluster.CountLogEvents(NotifyPushEventIds.GapDetected);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(cluster.RedisConfiguration).WaitAsync(Timeout))
        {
            var frame = $$"""{"type":"notification","seq":{{forgedSeq}},"id":"{{Guid.NewGuid()}}","event":"forged","payload":{"forged":true},"createdAt":"{{DateTime.UtcNow:O}}"}""";
            var receivers = await redis.GetSubscriber().PublishAsync(
                RedisChannel.Literal($"{cluster.ChannelPrefix}:user:{user}"), ForgedDoorbell(user, forgedSeq, frame)).WaitAsync(Timeout);
            Assert.Equal(1, receivers);
        }

        // The replica decoded it and took it to the socket's send loop, which saw a jump and asked the store.
        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(cluster.CountLogEvents(NotifyPushEventIds.GapDetected) > gapsBefore),
            "the forged doorbell reached the socket's send loop",
            Timeout);

        await ServiceApi.SendAsync(replica.Api, user, type: "real.event");
        var next = await socket.NextOfTypeAsync("notification", Timeout);
        Assert.Equal("real.event", next.GetProperty("event").GetString());
        Assert.Equal(2, next.GetProperty("seq").GetInt64());
        lock (socket.ReceivedSeqs)
        {
            Assert.Equal([1L, 2L], socket.ReceivedSeqs);
        }

        Assert.False(socket.Closed.IsCompleted, "the socket stays open");
    }

    /// <summary>
    /// A notification doorbell in the Redis backplane's wire format (RedisMessageCodec): kind 1, the seq as a big-endian
    /// int64, the user id's UTF-8 length as a 7-bit varint, the user id, then the frame.
    /// </summary>
    private static byte[] ForgedDoorbell(string userId, long seq, string frame)
    {
        var id = Encoding.UTF8.GetBytes(userId);
        var body = Encoding.UTF8.GetBytes(frame);
        Assert.True(id.Length < 0x80, "a one-byte length");
        var message = new byte[1 + sizeof(long) + 1 + id.Length + body.Length];
        message[0] = 1;
        BinaryPrimitives.WriteInt64BigEndian(message.AsSpan(1), seq);
        message[1 + sizeof(long)] = (byte)id.Length;
        id.CopyTo(message, 1 + sizeof(long) + 1);
        body.CopyTo(message, 1 + sizeof(long) + 1 + id.Length);
        return message;
    }
}
