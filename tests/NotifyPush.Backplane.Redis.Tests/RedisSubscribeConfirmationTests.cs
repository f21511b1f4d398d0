using System.Globalization;
using NotifyPush.Core.Backplane;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>Subscribes made at the same time share the PINGs that confirm them, and every one is still confirmed.</summary>
public sealed class RedisSubscribeConfirmationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Subscribe_OfManyUsersAtOnce_SharesConfirmingPings_AndEachReturnsOnlyOnceRedisTookItsSubscribe()
    {
        // A Redis of this test's own, so that only this backplane's PINGs are counted.
        await using var server = await RedisServerProcess.StartAsync();
        var prefix = RedisBackplanes.NewPrefix();
        await using var receiver = RedisBackplanes.Create(server.Configuration, prefix);
        await using var sender = RedisBackplanes.Create(server.Configuration, prefix);
        var listener = new RecordingBackplaneListener();
        receiver.SetListener(listener);
        sender.SetListener(new RecordingBackplaneListener());
        await RedisBackplanes.WaitForHealthAsync(receiver, expectConnected: true, Timeout);
        await RedisBackplanes.WaitForHealthAsync(sender, expectConnected: true, Timeout);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true");
        var pingsBefore = await PingCallsAsync(admin);

        const int users = 300;
        var subscribes = Enumerable.Range(0, users).Select(i => Task.Run(() => receiver.SubscribeAsync("u" + i, default))).ToList();
        await Task.WhenAll(subscribes).WaitAsync(Timeout);

        // Each subscribe returned after a PING answered after its SUBSCRIBE: a publish made now reaches every user.
        await sender.PublishAsync([.. Enumerable.Range(0, users).Select(i => new BackplaneMessage(BackplaneMessageKind.Notification, "u" + i, 1, "{}"u8.ToArray()))], default).WaitAsync(Timeout);
        for (var i = 0; i < users; i++)
        {
            await listener.WaitForMessagesAsync("u" + i, 1, Timeout);
        }

        var pings = await PingCallsAsync(admin) - pingsBefore;
        Assert.InRange(pings, 1, users / 2);
    }

    private static async Task<long> PingCallsAsync(ConnectionMultiplexer admin)
    {
        var info = await admin.GetServers().Single().InfoAsync("commandstats");
        var ping = info.SelectMany(group => group).FirstOrDefault(pair => pair.Key == "cmdstat_ping").Value;
        if (ping is null)
        {
            return 0;
        }

        // calls=N,usec=…
        var calls = ping.Split(',').Single(part => part.StartsWith("calls=", StringComparison.Ordinal));
        return long.Parse(calls["calls=".Length..], CultureInfo.InvariantCulture);
    }
}
