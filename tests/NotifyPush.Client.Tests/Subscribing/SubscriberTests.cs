using Microsoft.Extensions.Time.Testing;
using NotifyPush.Client.Subscribing;
using NotifyPush.Client.Tests.Infrastructure;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Subscribing;

/// <summary>The subscriber against a real server: order, replay, acks after the loop body, dedupe across a cut, resume.</summary>
public sealed class SubscriberTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly NotifyPushTestServer _server = fixture.Server;

    [Fact]
    public async Task ReadAllAsync_YieldsReplayedThenLiveNotificationsInSeqOrder()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        for (var i = 1; i <= 3; i++)
        {
            await publisher.SendAsync(user, "before", new { i }).WithTimeout();
        }

        await using var reader = new RecordingSubscriber(SubscriberOptions(_server.SocketUri(), user));
        await reader.WaitForSeqAsync(3);
        await reader.WaitUntilSyncedAsync();
        for (var i = 4; i <= 5; i++)
        {
            await publisher.SendAsync(user, "after", new { i }).WithTimeout();
        }

        await reader.WaitForSeqAsync(5);

        Assert.Equal([1L, 2L, 3L, 4L, 5L], reader.ReceivedSeqs);
        Assert.Equal([true, true, true, false, false], reader.Received.Select(n => n.Replayed));
        Assert.Equal("after", reader.Received[4].Event);
        Assert.Equal(5, reader.Received[4].Payload.GetProperty("i").GetInt32());
        var connected = Assert.Single(reader.Connects);
        Assert.Equal(user, connected.UserId);
        var synced = Assert.Single(reader.Synced);
        Assert.Equal(3, synced.Seq);
        Assert.True(synced.Recovered);
        Assert.Empty(reader.Disconnects);
        Assert.Equal([SubscriberState.Connecting, SubscriberState.Syncing, SubscriberState.Live], reader.States);
    }

    [Fact]
    public async Task ReadAllAsync_AcknowledgesANotificationOnlyAfterItsLoopBodyRan()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        for (var i = 0; i < 3; i++)
        {
            await publisher.SendAsync(user, "ack-me").WithTimeout();
        }

        var ackedWhileInBody = new List<long>();
        var subscriber = new NotifyPushSubscriber(SubscriberOptions(_server.SocketUri(), user));
        await using (subscriber)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await foreach (var notification in subscriber.ReadAllAsync(timeout.Token))
            {
                // In the body of n, the server has (eventually) n-1 and never n: the ack of n waits for this body.
                var expected = notification.Seq - 1;
                await ServiceApi.EventuallyAsync(async () => (await publisher.GetHistoryAsync(user)).AckedSeq >= expected, $"seq {expected} is acknowledged");
                var acked = (await publisher.GetHistoryAsync(user).WithTimeout()).AckedSeq;
                ackedWhileInBody.Add(acked);
                if (notification.Seq == 3)
                {
                    break;
                }
            }

            Assert.Equal(3, subscriber.Position);
        }

        Assert.Equal([0L, 1L, 2L], ackedWhileInBody);
        // Ending the loop acknowledged the last one before the socket closed (the server stores acks in batches).
        await ServiceApi.EventuallyAsync(async () => (await publisher.GetHistoryAsync(user)).AckedSeq == 3, "seq 3 is acknowledged");
        var history = await publisher.GetHistoryAsync(user).WithTimeout();
        Assert.All(history.Notifications, n => Assert.True(n.Delivered));
    }

    [Fact]
    public async Task ReadAllAsync_WhenTheConnectionIsCutWithNotificationsBuffered_ResumesWithSinceAndYieldsEachOnce()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        using var balancer = new ReplicaBalancer(() => _server.BaseAddress);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = SubscriberOptions(ReplicaBalancer.SocketUri, user);
        options.HttpMessageInvoker = balancer.Invoker;
        await using var reader = new RecordingSubscriber(options, async n =>
        {
            if (n.Seq == 1)
            {
                await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        });
        await reader.WaitUntilSyncedAsync();
        for (var i = 0; i < 5; i++)
        {
            await publisher.SendAsync(user, "buffered").WithTimeout();
        }

        // The loop holds seq 1; 2..5 arrive into the buffer. The cut makes the next socket resume after seq 0 (nothing
        // processed yet) and replay 1..5 again, behind the buffered copies.
        await reader.WaitForSeqAsync(1);
        await ServiceApi.EventuallyAsync(() => Task.FromResult(reader.Synced.Count >= 1), "synced");
        balancer.CutAll();
        await ServiceApi.EventuallyAsync(() => Task.FromResult(reader.Synced.Count >= 2), "the new socket synced");
        release.SetResult();
        await publisher.SendAsync(user, "after-cut").WithTimeout();
        await reader.WaitForSeqAsync(6);

        Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], reader.ReceivedSeqs);
        var disconnect = Assert.Single(reader.Disconnects);
        Assert.Equal(NotifyPushCloseCodes.Abnormal, disconnect.CloseCode);
        Assert.True(disconnect.WillReconnect);
        Assert.InRange(disconnect.ReconnectDelay!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        Assert.Equal(2, reader.Connects.Count);
        Assert.Equal(2, balancer.Picks.Count);
    }

    [Fact]
    public async Task ReadAllAsync_AfterTheLoopEnded_ANewEnumerationResumesAfterThePosition()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        await publisher.SendAsync(user, "one").WithTimeout();
        await publisher.SendAsync(user, "two").WithTimeout();
        await using var subscriber = new NotifyPushSubscriber(SubscriberOptions(_server.SocketUri(), user));

        var first = await FirstAsync(subscriber);
        await publisher.SendAsync(user, "three").WithTimeout();
        var second = await FirstAsync(subscriber);

        Assert.Equal(1, first.Seq);
        Assert.Equal(2, second.Seq);
        Assert.Equal(2, subscriber.Position);
        Assert.Equal(SubscriberState.Stopped, subscriber.State);

        // A new subscriber given a stored position starts after it, whatever the server's acked seq.
        var options = SubscriberOptions(_server.SocketUri(), user);
        options.Since = 2;
        await using var restarted = new NotifyPushSubscriber(options);
        var third = await FirstAsync(restarted);
        Assert.Equal(3, third.Seq);
        Assert.Equal("three", third.Event);
    }

    [Fact]
    public async Task ReadAllAsync_WhenTheConnectionGoesSilent_ReplacesItAfterTheHeartbeatAndGrace()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:HeartbeatSeconds"] = "1",
            ["NotifyPush:Connections:HeartbeatTimeoutSeconds"] = "30",
        });
        var user = NewUser();
        var (publisher, http) = Publisher(server.BaseAddress);
        using var _ = http;
        using var balancer = new ReplicaBalancer(() => server.BaseAddress);
        var options = SubscriberOptions(ReplicaBalancer.SocketUri, user);
        options.HttpMessageInvoker = balancer.Invoker;
        options.HeartbeatGrace = TimeSpan.FromSeconds(1);

        // The subscriber's clock only moves when the test advances it: the watchdog (heartbeat 1 s + grace 1 s from
        // the last frame), the close timeouts and the reconnect backoff all run on it. The server keeps real time.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        options.TimeProvider = time;
        await using var reader = new RecordingSubscriber(options);
        await reader.WaitUntilSyncedAsync();

        // Half-open: the server's frames stop arriving, no FIN, no error. Only the missing pings tell.
        balancer.FreezeAll();
        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Empty(reader.Disconnects);
        Assert.Single(reader.Synced);

        // Just past it, the silent socket is given up without the clock moving any further.
        time.Advance(TimeSpan.FromSeconds(0.2));
        await Poll.UntilAsync(() => reader.Disconnects.Count > 0, "the silent socket is given up", TimeSpan.FromSeconds(15));

        // The reconnect backoff runs on the same clock: moved on in small steps until a new socket has synced.
        await Poll.UntilAsync(
            () =>
            {
                if (reader.Synced.Count >= 2)
                {
                    return true;
                }

                time.Advance(TimeSpan.FromMilliseconds(50));
                return false;
            },
            "a new socket replaced the silent one",
            TimeSpan.FromSeconds(15));
        await publisher.SendAsync(user, "after-silence").WithTimeout();
        await reader.WaitForSeqAsync(1);

        var disconnect = Assert.Single(reader.Disconnects);
        Assert.Equal(NotifyPushCloseCodes.Abnormal, disconnect.CloseCode);
        Assert.Contains("no frame", disconnect.Reason);
    }

    [Fact]
    public async Task ReadAllAsync_WhenAnEventHandlerThrows_EndsWithThatException()
    {
        var user = NewUser();
        await using var subscriber = new NotifyPushSubscriber(SubscriberOptions(_server.SocketUri(), user));
        subscriber.Connected += (_, _) => throw new InvalidOperationException("handler failed");

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => FirstAsync(subscriber)).WithTimeout();

        Assert.Equal("handler failed", exception.Message);
        Assert.Equal(SubscriberState.Stopped, subscriber.State);
    }

    private static async Task<ReceivedNotification> FirstAsync(NotifyPushSubscriber subscriber)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await foreach (var notification in subscriber.ReadAllAsync(timeout.Token))
        {
            return notification;
        }

        throw new InvalidOperationException("The enumeration ended without a notification.");
    }
}
