using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.WebPush;

/// <summary>
/// The delivery rule of Web Push, one test each, through a real server on Kestrel (its SQLite store) and the push-service
/// stand-in, which verifies every request's VAPID token and decrypts its body as a browser would.
/// </summary>
public sealed class WebPushDeliveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly VapidKeyPair _vapid = VapidKeyPair.Create();
    private readonly string _userId = $"user-{Guid.NewGuid():N}";
    private PushServiceStandIn _push = null!;

    public async Task InitializeAsync() => _push = await PushServiceStandIn.StartAsync(_vapid.PublicKey);

    public async Task DisposeAsync() => await _push.DisposeAsync();

    [Fact]
    public async Task Send_ToAUserWithNoOpenConnection_IsPushedAtOnce_SignedAndEncryptedForTheBrowser()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings(delaySeconds: 600));
        using var api = server.CreateServiceClient();
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, browser);

        var (seq, id) = await WebPushClient.SendAsync(api, _userId, "Order shipped", "Order 42 is on its way", "/orders/42");

        await Poll.UntilAsync(() => _push.Delivered(browser).Count == 1, "the push reached the browser", Bound, () => string.Join("; ", _push.Errors));
        var push = Assert.Single(_push.Delivered(browser));
        Assert.Empty(_push.Errors);
        Assert.Equal(seq, push.Seq);
        Assert.Equal(id, push.NotificationId);
        Assert.Equal("order.shipped", push.Message.GetProperty("type").GetString());
        Assert.Equal("Order shipped", push.Message.GetProperty("title").GetString());
        Assert.Equal("Order 42 is on its way", push.Message.GetProperty("body").GetString());
        Assert.Equal("/orders/42", push.Message.GetProperty("url").GetString());
        Assert.InRange(push.TimeToLive, 1, 7 * 24 * 3600);
        await Poll.UntilAsync(async () => await server.GetService<IWebPushStore>().CountPushJobsAsync(CancellationToken.None) == 0, "the push job was done", Bound);
    }

    [Fact]
    public async Task Send_ToAUserWithAnOpenConnection_IsNotPushed_WhileItWaitsForTheAck()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings(delaySeconds: 600));
        using var api = server.CreateServiceClient();
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, browser);
        await using var socket = await TestSocket.ConnectAsync(server, _userId);
        await socket.ReadUntilSyncedAsync();

        var (seq, _) = await WebPushClient.SendAsync(api, _userId);

        Assert.Equal(seq, Assert.Single(await socket.ReadNotificationsAsync(1)).GetProperty("seq").GetInt64());
        await Poll.UntilAsync(
            () => server.Logs.Any(record => record.Id.Id == Core.Diagnostics.NotifyPushEventIds.WebPushWaitingForAck),
            "the worker found the user online and waited", Bound);
        Assert.Empty(_push.Received);
        Assert.Equal(1, await server.GetService<IWebPushStore>().CountPushJobsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Send_ToAnOnlineUserWhoAcksBeforeTheDelay_IsNeverPushed()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings(delaySeconds: 2));
        using var api = server.CreateServiceClient();
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, browser);
        await using var socket = await TestSocket.ConnectAsync(server, _userId);
        await socket.ReadUntilSyncedAsync();

        var (seq, _) = await WebPushClient.SendAsync(api, _userId);
        Assert.Equal(seq, Assert.Single(await socket.ReadNotificationsAsync(1)).GetProperty("seq").GetInt64());
        await socket.AckAsync(seq);

        // The job is done once the worker looked again after the delay and found the ack.
        await Poll.UntilAsync(async () => await server.GetService<IWebPushStore>().CountPushJobsAsync(CancellationToken.None) == 0, "the push job was done", Bound);
        Assert.Contains(server.Logs, record => record.Id.Id == Core.Diagnostics.NotifyPushEventIds.WebPushWaitingForAck);
        Assert.Empty(_push.Received);
    }

    [Fact]
    public async Task Send_ToAnOnlineUserWhoDoesNotAck_IsPushedAfterTheDelay()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings(delaySeconds: 1));
        using var api = server.CreateServiceClient();
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, browser);
        await using var socket = await TestSocket.ConnectAsync(server, _userId);
        await socket.ReadUntilSyncedAsync();

        var (seq, _) = await WebPushClient.SendAsync(api, _userId);
        Assert.Equal(seq, Assert.Single(await socket.ReadNotificationsAsync(1)).GetProperty("seq").GetInt64());

        await Poll.UntilAsync(() => _push.Delivered(browser).Count == 1, "the push reached the browser", Bound, () => string.Join("; ", _push.Errors));
        Assert.Equal(seq, Assert.Single(_push.Delivered(browser)).Seq);
        Assert.Contains(server.Logs, record => record.Id.Id == Core.Diagnostics.NotifyPushEventIds.WebPushWaitingForAck);
        Assert.Empty(_push.Errors);
    }

    [Theory]
    [InlineData(410)]
    [InlineData(404)]
    public async Task Push_AnsweredGone_RemovesTheSubscription_AndKeepsTheOthers(int status)
    {
        using var server = new NotifyPushTestServer(_vapid.Settings());
        using var api = server.CreateServiceClient();
        var gone = _push.NewSubscription();
        var kept = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, gone);
        await WebPushClient.SubscribeAsync(server, _userId, kept);
        _push.Answer(gone, status);

        await WebPushClient.SendAsync(api, _userId);

        var store = server.GetService<IWebPushStore>();
        var left = await Poll.UntilAsync(
            () => store.GetPushSubscriptionsAsync(_userId, CancellationToken.None),
            subscriptions => subscriptions.Count == 1,
            "the gone subscription was removed",
            Bound);
        Assert.Equal(kept.Endpoint.ToString(), Assert.Single(left).Endpoint);
        await Poll.UntilAsync(() => _push.Delivered(kept).Count == 1, "the other browser got the push", Bound);
    }

    [Fact]
    public async Task Push_AnsweredTooManyRequests_IsRetriedAfterRetryAfter()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings());
        using var api = server.CreateServiceClient();
        var browser = _push.NewSubscription();
        await WebPushClient.SubscribeAsync(server, _userId, browser);
        _push.Answer(browser, 429, retryAfterSeconds: 1);
        _push.Answer(browser, 503, retryAfterSeconds: 1);

        var (seq, _) = await WebPushClient.SendAsync(api, _userId);

        await Poll.UntilAsync(() => _push.Delivered(browser).Count == 1, "the third attempt was accepted", Bound, () => string.Join("; ", _push.Errors));
        Assert.Equal([429, 503, 201], _push.Received.Select(push => push.Status));
        Assert.All(_push.Received, push => Assert.Equal(seq, push.Seq));
        using var metrics = server.CreateServiceClient();
        var scrape = await metrics.GetStringAsync("/metrics");
        Assert.Matches(@"notifypush_web_push_pushes_total\{[^}]*notifypush_web_push_outcome=""retry""[^}]*\} 2", scrape);
        Assert.Matches(@"notifypush_web_push_pushes_total\{[^}]*notifypush_web_push_outcome=""sent""[^}]*\} 1", scrape);
    }

    [Fact]
    public async Task SignOut_RemovesTheUsersPushSubscriptions()
    {
        using var server = new NotifyPushTestServer(_vapid.Settings());
        using var api = server.CreateServiceClient();
        await WebPushClient.SubscribeAsync(server, _userId, _push.NewSubscription());
        await WebPushClient.SubscribeAsync(server, _userId, _push.NewSubscription());
        var store = server.GetService<IWebPushStore>();
        Assert.Equal(2, (await store.GetPushSubscriptionsAsync(_userId, CancellationToken.None)).Count);

        using var response = await api.PostAsync($"/api/users/{_userId}/disconnect", null);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await store.GetPushSubscriptionsAsync(_userId, CancellationToken.None));
    }
}
