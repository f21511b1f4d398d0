using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// Redis going away and coming back. Each test starts and kills its own redis-server on its own port, so the
/// shared test Redis and the other tests are not disturbed.
/// </summary>
public sealed class RedisOutageTests
{
    // Reconnecting takes the multiplexer's heartbeat (1 s) plus its retry back-off; generous for a loaded machine.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Outage_WhenRedisRestarts_HealthDropsThenRecoversOnRestoredIsRaisedAndDeliveryResumes()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var log = new FakeLogger<RedisNotificationBackplane>();
        var listener = new RecordingBackplaneListener();
        await using var backplane = Create(server, log);
        backplane.SetListener(listener);
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
        await backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await backplane.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await listener.WaitForMessagesAsync("u1", 1, Timeout);

        await server.StopAsync();
        var down = await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: false, Timeout);
        Assert.NotNull(down.DisconnectedSince);
        Assert.Contains("disconnected", down.Description, StringComparison.Ordinal);

        // The store holds these; the backplane must neither throw nor log per message.
        for (var seq = 2; seq <= 4; seq++)
        {
            Assert.Null(await Record.ExceptionAsync(() => backplane.PublishAsync([Notification("u1", seq)], default).WaitAsync(Timeout)));
        }

        Assert.Equal(0, listener.RestoredCount);
        await server.StartAgainAsync();

        await listener.WaitForRestoredAsync(1, Timeout);
        var up = await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
        Assert.Null(up.DisconnectedSince);

        // Published by another replica after the restore, so the subscription is really back on the server.
        await using var other = Create(server);
        await RedisBackplanes.WaitForHealthAsync(other, expectConnected: true, Timeout);
        await other.PublishAsync([Notification("u1", 5)], default).WaitAsync(Timeout);

        // The doorbell owed from the outage rings once, with its newest seq only (4, not 2 or 3: a receiver fills
        // lower seqs from the store). It races the other replica's 5; receivers order by seq anyway.
        var received = await listener.WaitForMessagesAsync("u1", 3, Timeout);
        Assert.Equal([1L, 4L, 5L], received.Select(message => message.Seq).Order());
        Assert.Equal(0, backplane.OwedDoorbellCount);
        Assert.Equal(1, listener.RestoredCount);

        var records = log.Collector.GetSnapshot();
        Assert.Equal(1, records.Count(record => record.Id.Id == NotifyPushEventIds.RedisConnectionLost && record.Level == LogLevel.Warning));
        Assert.Equal(1, records.Count(record => record.Id.Id == NotifyPushEventIds.RedisPublishFailed && record.Level == LogLevel.Warning));
        Assert.Equal(1, records.Count(record => record.Id.Id == NotifyPushEventIds.RedisRestored && record.Level == LogLevel.Information));
    }

    [Fact]
    public async Task Subscribe_WhileRedisIsDown_DoesNotThrowAndTakesEffectAfterRestore()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var listener = new RecordingBackplaneListener();
        await using var backplane = Create(server);
        backplane.SetListener(listener);
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
        await backplane.SubscribeAsync("leaving", default).WaitAsync(Timeout);

        await server.StopAsync();
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: false, Timeout);
        Assert.Null(await Record.ExceptionAsync(() => backplane.SubscribeAsync("joining", default).WaitAsync(Timeout)));
        Assert.Null(await Record.ExceptionAsync(() => backplane.UnsubscribeAsync("leaving", default).WaitAsync(Timeout)));
        await server.StartAgainAsync();
        await listener.WaitForRestoredAsync(1, Timeout);

        await using var other = Create(server);
        await RedisBackplanes.WaitForHealthAsync(other, expectConnected: true, Timeout);
        await other.PublishAsync([Notification("leaving", 1), Notification("joining", 1)], default).WaitAsync(Timeout);

        Assert.Equal(1, Assert.Single(await listener.WaitForMessagesAsync("joining", 1, Timeout)).Seq);
        // Published before joining's message, on the same connection: it would have arrived first.
        Assert.Empty(listener.ReceivedFor("leaving"));
    }

    [Fact]
    public async Task Start_WhenRedisIsDown_DoesNotWaitAndConnectsWhenRedisComesUp()
    {
        await using var server = RedisServerProcess.OnFreePort();
        var listener = new RecordingBackplaneListener();

        var started = Stopwatch.StartNew();
        await using var backplane = Create(server);
        backplane.SetListener(listener);
        await backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await backplane.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        started.Stop();

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), $"Start-up waited {started.Elapsed} for Redis.");
        var health = backplane.GetHealth();
        Assert.False(health.IsConnected);
        Assert.NotNull(health.DisconnectedSince);

        await server.StartAgainAsync();
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
        // u1 subscribed while nothing was received: the replica must catch u1 up from the store.
        await listener.WaitForRestoredAsync(1, Timeout);

        // Seq 1, published while Redis was down, rings once Redis answers; then live publishing works.
        await backplane.PublishAsync([Notification("u1", 2)], default).WaitAsync(Timeout);
        var received = await listener.WaitForMessagesAsync("u1", 2, Timeout);
        Assert.Equal([1L, 2L], received.Select(message => message.Seq).Order());
    }

    [Fact]
    public async Task Restore_WhileUsersSubscribeAndUnsubscribe_EndsWithExactlyTheWantedSubscriptions()
    {
        await using var server = await RedisServerProcess.StartAsync();
        var listener = new RecordingBackplaneListener();
        await using var backplane = Create(server);
        backplane.SetListener(listener);
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
        var staying = Enumerable.Range(0, 100).Select(i => $"staying-{i}").ToArray();
        var leaving = Enumerable.Range(0, 100).Select(i => $"leaving-{i}").ToArray();
        var joining = Enumerable.Range(0, 100).Select(i => $"joining-{i}").ToArray();
        foreach (var user in staying.Concat(leaving))
        {
            await backplane.SubscribeAsync(user, default).WaitAsync(Timeout);
        }

        await server.StopAsync();
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: false, Timeout);
        await server.StartAgainAsync();

        // Runs while the backplane reconnects and re-subscribes; each user's calls stay serialised, as the
        // registry keeps them.
        await Task.WhenAll(
            Task.Run(async () =>
            {
                foreach (var user in leaving)
                {
                    await backplane.UnsubscribeAsync(user, default).WaitAsync(Timeout);
                }
            }),
            Task.Run(async () =>
            {
                foreach (var user in joining)
                {
                    await backplane.SubscribeAsync(user, default).WaitAsync(Timeout);
                }
            })).WaitAsync(Timeout);
        await listener.WaitForRestoredAsync(1, Timeout);
        await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);

        await using var other = Create(server);
        await RedisBackplanes.WaitForHealthAsync(other, expectConnected: true, Timeout);
        await other.PublishAsync(leaving.Concat(staying).Concat(joining).Select(user => Notification(user, 1)).ToArray(), default).WaitAsync(Timeout);

        foreach (var user in staying.Concat(joining))
        {
            Assert.Equal(1, Assert.Single(await listener.WaitForMessagesAsync(user, 1, Timeout)).Seq);
        }

        // The leaving users' messages were published first; everything after them has arrived.
        Assert.All(leaving, user => Assert.Empty(listener.ReceivedFor(user)));
        Assert.Equal(staying.Length + joining.Length, listener.MessageCount);
    }

    private static RedisNotificationBackplane Create(RedisServerProcess server, ILogger<RedisNotificationBackplane>? logger = null) =>
        // A short connect timeout keeps the "Redis is down" phases of these tests short.
        RedisBackplanes.Create($"{server.Configuration},connectTimeout=2000", "outage", logger);

    private static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, System.Text.Encoding.UTF8.GetBytes($"{{\"seq\":{seq}}}"));
}
