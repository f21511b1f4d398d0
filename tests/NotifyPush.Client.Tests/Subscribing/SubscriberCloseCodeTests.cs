using NotifyPush.Client.Problems;
using NotifyPush.Client.Subscribing;
using NotifyPush.Client.Tests.Infrastructure;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Protocol;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Subscribing;

/// <summary>What the subscriber does on each close code and on token-expiring, against a real server.</summary>
public sealed class SubscriberCloseCodeTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new(new Dictionary<string, string?>
    {
        ["NotifyPush:Connections:TokenExpiryWarningSeconds"] = "2",
        ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "0",
    });

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task TokenExpiring_IsAnsweredWithAFreshTokenInBandAndTheSocketStaysOpen()
    {
        var user = NewUser();
        var lifetime = TimeSpan.FromSeconds(4);
        var oldExpiry = DateTime.UtcNow + lifetime;
        var calls = 0;
        var options = SubscriberOptions(_server.SocketUri(), user, _ =>
            ValueTask.FromResult(Interlocked.Increment(ref calls) == 1 ? NotifyPushTestServer.UserToken(user, lifetime) : NotifyPushTestServer.UserToken(user)));
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        await using var reader = new RecordingSubscriber(options);
        await reader.WaitUntilSyncedAsync();

        await ServiceApi.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref calls) >= 2), "the provider was asked for a fresh token");
        await ServiceApi.EventuallyAsync(() => Task.FromResult(DateTime.UtcNow > oldExpiry.AddSeconds(1)), "the first token's expiry has passed");
        await publisher.SendAsync(user, "still-here").WithTimeout();
        await reader.WaitForSeqAsync(1);

        Assert.Equal([1L], reader.ReceivedSeqs);
        Assert.Single(reader.Connects);
        Assert.Empty(reader.Disconnects);
        Assert.Equal(2, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task ARejectedRefresh_Closes4001AndTheSubscriberReconnectsAtOnceWithANewTokenLosingNothing()
    {
        var user = NewUser();
        var calls = 0;
        var options = SubscriberOptions(_server.SocketUri(), user, _ => Interlocked.Increment(ref calls) switch
        {
            1 => ValueTask.FromResult(NotifyPushTestServer.UserToken(user, TimeSpan.FromSeconds(4))),
            // The refresh hands out an already expired token: the server rejects it with 4001.
            2 => ValueTask.FromResult(NotifyPushTestServer.UserToken(user, TimeSpan.FromMinutes(-5))),
            _ => ValueTask.FromResult(NotifyPushTestServer.UserToken(user)),
        });
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        await publisher.SendAsync(user, "before").WithTimeout();
        await using var reader = new RecordingSubscriber(options);

        await ServiceApi.EventuallyAsync(() => Task.FromResult(reader.Synced.Count >= 2), "the subscriber reconnected and synced again");
        await publisher.SendAsync(user, "after").WithTimeout();
        await reader.WaitForSeqAsync(2);

        var disconnect = Assert.Single(reader.Disconnects);
        Assert.Equal(CloseCodes.CredentialExpired, disconnect.CloseCode);
        Assert.True(disconnect.WillReconnect);
        Assert.Equal(TimeSpan.Zero, disconnect.ReconnectDelay);
        Assert.Equal(3, Volatile.Read(ref calls));
        Assert.Equal([1L, 2L], reader.ReceivedSeqs);
    }

    [Fact]
    public async Task SignOut_Closes4003AndEndsTheEnumerationWithSignedOut()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        await using var reader = new RecordingSubscriber(SubscriberOptions(_server.SocketUri(), user));
        await reader.WaitUntilSyncedAsync();

        await publisher.DisconnectUserAsync(user).WithTimeout();

        var exception = await Assert.ThrowsAsync<NotifyPushSignedOutException>(() => reader.Completion).WithTimeout();
        Assert.Equal(CloseCodes.SignedOut, exception.CloseCode);
        Assert.Equal("signed out", exception.CloseReason);
        var disconnect = Assert.Single(reader.Disconnects);
        Assert.False(disconnect.WillReconnect);
        Assert.Equal(SubscriberState.Stopped, reader.Subscriber.State);
        Assert.Single(reader.Connects);
    }

    [Fact]
    public async Task ARefreshedTokenOfAnotherUser_Closes1008AndStopsWithATypedException()
    {
        var user = NewUser();
        var calls = 0;
        var options = SubscriberOptions(_server.SocketUri(), user, _ => ValueTask.FromResult(
            Interlocked.Increment(ref calls) == 1 ? NotifyPushTestServer.UserToken(user, TimeSpan.FromSeconds(4)) : NotifyPushTestServer.UserToken(NewUser())));
        await using var reader = new RecordingSubscriber(options);

        var exception = await Assert.ThrowsAsync<NotifyPushSocketClosedException>(() => reader.Completion).WithTimeout();

        Assert.Equal(CloseCodes.PolicyViolation, exception.CloseCode);
        Assert.False(Assert.Single(reader.Disconnects).WillReconnect);
    }

    [Fact]
    public async Task AnExpiredTokenAtTheHandshake_IsRetriedWithBackoffUntilTheProviderGivesAValidOne()
    {
        var user = NewUser();
        var calls = 0;
        var options = SubscriberOptions(_server.SocketUri(), user, _ => ValueTask.FromResult(
            Interlocked.Increment(ref calls) <= 2 ? NotifyPushTestServer.UserToken(user, TimeSpan.FromMinutes(-5)) : NotifyPushTestServer.UserToken(user)));
        await using var reader = new RecordingSubscriber(options);

        await reader.WaitUntilSyncedAsync();

        Assert.Equal(2, reader.Disconnects.Count);
        Assert.All(reader.Disconnects, d => Assert.Equal(401, d.HandshakeStatus));
        Assert.All(reader.Disconnects, d => Assert.True(d.WillReconnect));
    }

    [Fact]
    public async Task ASlowReader_IsClosedWith4008AndResumesFromTheStoreWithNothingLost()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:SendQueueCapacity"] = "4",
            ["NotifyPush:Connections:SendTimeoutSeconds"] = "60",
            ["NotifyPush:Api:MaxPayloadBytes"] = "2000000",
        });
        var user = NewUser();
        var (publisher, http) = Publisher(server.BaseAddress);
        using var _ = http;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = SubscriberOptions(server.SocketUri(), user);
        options.ReceiveBufferCapacity = 1;
        await using var reader = new RecordingSubscriber(options, async n =>
        {
            if (n.Seq == 1)
            {
                await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
        });
        await reader.WaitUntilSyncedAsync();

        // The loop holds seq 1, the one-slot buffer fills, the subscriber stops reading; big frames then fill the
        // kernel's buffers until the server's queue of 4 overflows.
        var registry = server.GetService<ConnectionRegistry>();
        var big = new string('x', 1_000_000);
        var sent = 0;
        while (registry.GetConnections(user) is [var connection] && connection.CloseCode == 0)
        {
            await publisher.SendAsync(user, "big", new { big }).WithTimeout();
            sent++;
            Assert.True(sent < 200, "The server never declared the stalled subscriber a slow consumer.");
        }

        release.SetResult();
        await publisher.SendAsync(user, "after").WithTimeout();
        await reader.WaitForSeqAsync(sent + 1, TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(1, sent + 1).Select(i => (long)i), reader.ReceivedSeqs);
        var disconnect = Assert.Single(reader.Disconnects);
        Assert.Equal(CloseCodes.SlowConsumer, disconnect.CloseCode);
        Assert.True(disconnect.WillReconnect);
    }
}
