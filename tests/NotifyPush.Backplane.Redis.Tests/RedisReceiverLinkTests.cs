using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// Redis stays up and the publishing replica stays connected; only the receiving replica's connections are cut
/// (CLIENT KILL, as a proxy or a network blip would). The receiver must get its subscriptions back, report the
/// outage and raise OnRestored once. Each test owns its redis-server, so killing clients disturbs no other test.
/// </summary>
public sealed class RedisReceiverLinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Receive_WhenOnlyThisReplicasLinkIsKilled_ResubscribesRaisesOnRestoredOnceAndDeliveryResumes(bool subscriptionConnectionOnly)
    {
        await using var server = await RedisServerProcess.StartAsync();
        var log = new FakeLogger<RedisNotificationBackplane>();
        var listener = new RecordingBackplaneListener();
        await using var receiver = RedisBackplanes.Create($"{server.Configuration},name=receiver", "link", log);
        await using var sender = RedisBackplanes.Create($"{server.Configuration},name=sender", "link");
        receiver.SetListener(listener);
        sender.SetListener(new RecordingBackplaneListener());
        await RedisBackplanes.WaitForHealthAsync(receiver, expectConnected: true, Timeout);
        await RedisBackplanes.WaitForHealthAsync(sender, expectConnected: true, Timeout);
        await receiver.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await receiver.SubscribeAsync("*", default).WaitAsync(Timeout);
        await sender.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await listener.WaitForMessagesAsync("u1", 1, Timeout);

        using (var admin = await ConnectionMultiplexer.ConnectAsync($"{server.Configuration},allowAdmin=true,name=admin").WaitAsync(Timeout))
        {
            var redis = admin.GetServer(admin.GetEndPoints().Single());
            var links = (await redis.ClientListAsync().WaitAsync(Timeout))
                .Where(client => client.Name == "receiver" && (!subscriptionConnectionOnly || client.SubscriptionCount > 0))
                .ToArray();
            Assert.Equal(subscriptionConnectionOnly ? 1 : 2, links.Length);
            // Issued together, so that both connections go down in one outage: the multiplexer reconnects within
            // milliseconds, and killing them one round trip apart could make two outages, each with its OnRestored.
            await Task.WhenAll(links.Select(link => redis.ClientKillAsync(link.Id))).WaitAsync(Timeout);
        }

        // The reconnect can be quicker than a health poll: OnRestored is what proves the outage was seen.
        try
        {
            await listener.WaitForRestoredAsync(1, Timeout);
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException(exception.Message + Environment.NewLine + Logged(log), exception);
        }

        var up = await RedisBackplanes.WaitForHealthAsync(receiver, expectConnected: true, Timeout);
        Assert.Null(up.DisconnectedSince);
        Assert.True(sender.GetHealth().IsConnected);

        // Both subscriptions are back on the server, still literal.
        await sender.PublishAsync([Notification("u1", 2), Notification("*", 1)], default).WaitAsync(Timeout);
        Assert.Equal([1L, 2L], (await listener.WaitForMessagesAsync("u1", 2, Timeout)).Select(message => message.Seq));
        Assert.Equal(1, Assert.Single(await listener.WaitForMessagesAsync("*", 1, Timeout)).Seq);

        Assert.Equal(1, listener.RestoredCount);
        var records = log.Collector.GetSnapshot();
        Assert.True(records.Count(record => record.Id.Id == NotifyPushEventIds.RedisConnectionLost && record.Level == LogLevel.Warning) == 1, Logged(log));
        Assert.True(records.Count(record => record.Id.Id == NotifyPushEventIds.RedisRestored && record.Level == LogLevel.Information) == 1, Logged(log));
    }

    /// <summary>The backplane's log, one line per record, for a failure message.</summary>
    private static string Logged(FakeLogger<RedisNotificationBackplane> log) =>
        string.Join(Environment.NewLine, log.Collector.GetSnapshot().Select(record => $"{record.Timestamp:HH:mm:ss.fff} {record.Level} {record.Id.Id} {record.Message}"));

    private static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, System.Text.Encoding.UTF8.GetBytes($"{{\"seq\":{seq}}}"));
}
