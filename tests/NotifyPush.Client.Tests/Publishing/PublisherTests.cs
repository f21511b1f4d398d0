using System.Text.Json;
using NotifyPush.Client.Publishing;
using NotifyPush.Client.Tests.Infrastructure;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Publishing;

/// <summary>The publisher against a real server: sends, fan-out, idempotency, retries after a lost answer, history.</summary>
public sealed class PublisherTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly NotifyPushTestServer _server = fixture.Server;

    [Fact]
    public async Task SendAsync_ToOneUser_ReturnsTheNotificationTheHistoryHolds()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;

        var result = await publisher.SendAsync(user, "order.shipped", new { OrderId = 1234, Items = new[] { "a", "b" } }).WithTimeout();

        var sent = Assert.Single(result.Notifications);
        Assert.Equal(user, sent.UserId);
        Assert.Equal(1, sent.Seq);
        Assert.False(result.IdempotentReplayed);
        Assert.Equal(1, result.Attempts);
        Assert.Matches("^[0-9a-f]{32}$", result.IdempotencyKey);

        var history = await publisher.GetHistoryAsync(user).WithTimeout();
        Assert.Equal(user, history.UserId);
        Assert.Equal(1, history.LastSeq);
        Assert.Equal(0, history.AckedSeq);
        var stored = Assert.Single(history.Notifications);
        Assert.Equal(sent.Id, stored.Id);
        Assert.Equal("order.shipped", stored.Type);
        // Web defaults: the object's properties arrive camelCased.
        Assert.Equal(1234, stored.Payload.GetProperty("orderId").GetInt32());
        Assert.Equal("b", stored.Payload.GetProperty("items")[1].GetString());
        Assert.False(stored.Delivered);
        Assert.Equal(TimeSpan.Zero, stored.CreatedAt.Offset);
    }

    [Fact]
    public async Task SendAsync_ToManyUsers_StoresOneNotificationPerUserInRequestOrder()
    {
        var users = Enumerable.Range(0, 5).Select(_ => NewUser()).ToArray();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        await publisher.SendAsync(users[2], "warm-up").WithTimeout();

        var result = await publisher.SendAsync(users, "maintenance.scheduled", new { at = "02:00" }).WithTimeout();

        Assert.Equal(users, result.Notifications.Select(n => n.UserId));
        Assert.Equal([1L, 1L, 2L, 1L, 1L], result.Notifications.Select(n => n.Seq));
        Assert.Equal(5, result.Notifications.Select(n => n.Id).Distinct().Count());
        foreach (var (user, sent) in users.Zip(result.Notifications))
        {
            var history = await publisher.GetHistoryAsync(user, after: sent.Seq - 1).WithTimeout();
            Assert.Equal(sent.Id, Assert.Single(history.Notifications).Id);
        }
    }

    [Fact]
    public async Task SendAsync_WithAJsonElementOrNoPayloadAndATimeToLive_StoresThemAsGiven()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        using var raw = JsonDocument.Parse("""{"Keep":"Case","n":[1,2.50,null]}""");

        await publisher.SendAsync(user, "raw", raw.RootElement, new NotificationSendOptions { TimeToLive = TimeSpan.FromMinutes(5) }).WithTimeout();
        await publisher.SendAsync(user, "empty").WithTimeout();

        var history = await publisher.GetHistoryAsync(user, limit: 10).WithTimeout();
        Assert.Equal("""{"Keep":"Case","n":[1,2.50,null]}""", history.Notifications[0].Payload.GetRawText());
        Assert.Equal(TimeSpan.FromMinutes(5), history.Notifications[0].ExpiresAt - history.Notifications[0].CreatedAt);
        Assert.Equal(JsonValueKind.Null, history.Notifications[1].Payload.ValueKind);
    }

    [Fact]
    public async Task SendAsync_TwiceWithTheCallersIdempotencyKey_ReturnsTheFirstResultMarkedReplayed()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        var options = new NotificationSendOptions { IdempotencyKey = $"invoice-{Guid.NewGuid():N}-paid" };

        var first = await publisher.SendAsync(user, "invoice.paid", new { amount = 42 }, options).WithTimeout();
        var second = await publisher.SendAsync(user, "invoice.paid", new { amount = 42 }, options).WithTimeout();

        Assert.False(first.IdempotentReplayed);
        Assert.True(second.IdempotentReplayed);
        Assert.Equal(options.IdempotencyKey, second.IdempotencyKey);
        Assert.Equal(first.Notifications, second.Notifications);
        Assert.Equal(1, (await publisher.GetHistoryAsync(user).WithTimeout()).LastSeq);
    }

    [Fact]
    public async Task SendAsync_WhenTheAnswerIsLostAfterTheCommit_RetriesWithTheSameKeyAndStoresExactlyOne()
    {
        var user = NewUser();
        await using var proxy = new ResponseDroppingProxy(_server.BaseAddress) { DropResponses = 1 };
        var (publisher, http) = Publisher(proxy.BaseAddress);
        using var _ = http;

        var result = await publisher.SendAsync(user, "order.paid", new { order = 7 }).WithTimeout(TimeSpan.FromSeconds(30));

        // The first attempt committed and its 202 never arrived; the retry got the original back.
        Assert.Equal(1, proxy.Dropped);
        Assert.Equal(2, result.Attempts);
        Assert.True(result.IdempotentReplayed);
        var history = await publisher.GetHistoryAsync(user).WithTimeout();
        Assert.Equal(1, history.LastSeq);
        var stored = Assert.Single(history.Notifications);
        Assert.Equal(Assert.Single(result.Notifications).Id, stored.Id);
        Assert.Equal(7, stored.Payload.GetProperty("order").GetInt32());
    }

    [Fact]
    public async Task SendAsync_WithAServiceToken_IsAccepted()
    {
        var user = NewUser();
        var calls = 0;
        var credential = NotifyPushCredential.ServiceToken(_ =>
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(ServiceTokens.Create());
        });
        var (publisher, http) = Publisher(_server.BaseAddress, credential: credential);
        using var _ = http;

        var result = await publisher.SendAsync(user, "jwt.sent").WithTimeout();

        Assert.Equal(1, Assert.Single(result.Notifications).Seq);
        Assert.Equal(1, calls);
        Assert.DoesNotContain("ey", credential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetHistoryAsync_PagesWithAfterAndLimit()
    {
        var user = NewUser();
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        for (var i = 0; i < 5; i++)
        {
            await publisher.SendAsync(user, "page", new { i }).WithTimeout();
        }

        var first = await publisher.GetHistoryAsync(user, after: 0, limit: 2).WithTimeout();
        var second = await publisher.GetHistoryAsync(user, after: first.Notifications[^1].Seq, limit: 2).WithTimeout();
        var empty = await publisher.GetHistoryAsync(NewUser()).WithTimeout();

        Assert.Equal([1L, 2L], first.Notifications.Select(n => n.Seq));
        Assert.Equal([3L, 4L], second.Notifications.Select(n => n.Seq));
        Assert.Equal(5, second.LastSeq);
        Assert.Empty(empty.Notifications);
        Assert.Equal(0, empty.LastSeq);
    }

    [Fact]
    public async Task HistoryAndDisconnect_WithUserIdsThatNeedEscaping_ReachExactlyThatUser()
    {
        // "a/b" and the literal "a%2Fb" must stay two users through the path routes, as must "a%252Fb", "a%" and the rest.
        var tag = $"{Guid.NewGuid():N}:";
        string[] users = [$"{tag}a/b", $"{tag}a%2Fb", $"{tag}a%252Fb", $"{tag}a%", $"{tag}tenant 42/ü😀", $"/{tag}"];
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        var sockets = new List<TestSocket>();
        try
        {
            foreach (var user in users)
            {
                await publisher.SendAsync(user, "private", new { to = user }).WithTimeout();
                var socket = await TestSocket.ConnectAsync(_server, user);
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync();
            }

            foreach (var user in users)
            {
                var history = await publisher.GetHistoryAsync(user).WithTimeout();
                Assert.Equal(user, history.UserId);
                Assert.Equal(user, Assert.Single(history.Notifications).Payload.GetProperty("to").GetString());
            }

            await publisher.DisconnectUserAsync(users[0]).WithTimeout();

            Assert.Equal(4003, await sockets[0].WaitForCloseAsync());
            await publisher.SendAsync(users[1..], "still-open").WithTimeout();
            foreach (var socket in sockets.Skip(1))
            {
                Assert.Equal("still-open", (await socket.ReadNotificationsAsync(1)).Single().GetProperty("event").GetString());
            }
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }
    }
}
