using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Tests.WebPush;

/// <summary>
/// The /push routes and the send's webPush member refuse what the server must not accept: endpoints it must never call,
/// keys that cannot encrypt, more subscriptions than the cap, pushes that cannot fit, and the wrong credential.
/// </summary>
public sealed class WebPushEndpointTests : IDisposable
{
    private readonly VapidKeyPair _vapid = VapidKeyPair.Create();
    private readonly string _userId = $"user-{Guid.NewGuid():N}";
    private readonly NotifyPushTestServer _server;

    public WebPushEndpointTests()
    {
        // The production host list (no loopback) and https only: what a deployment runs with.
        var settings = _vapid.Settings();
        settings.Remove("NotifyPush:WebPush:AllowedEndpointHosts:0");
        settings.Remove("NotifyPush:WebPush:AllowInsecureEndpoints");
        settings["NotifyPush:WebPush:MaxSubscriptionsPerUser"] = "2";
        _server = new NotifyPushTestServer(settings);
    }

    public void Dispose() => _server.Dispose();

    private static object Subscription(string endpoint, string? p256dh = null, string? auth = null)
    {
        using var key = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        return new
        {
            endpoint,
            keys = new
            {
                p256dh = p256dh ?? Base64Url.EncodeToString([0x04, .. q.X!, .. q.Y!]),
                auth = auth ?? Base64Url.EncodeToString(new byte[16]),
            },
        };
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Subscribe_ToAnAllowedPushService_IsSaved()
    {
        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/fcm/send/abc:def"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var saved = Assert.Single(await _server.GetService<IWebPushStore>().GetPushSubscriptionsAsync(_userId, CancellationToken.None));
        Assert.Equal("https://fcm.googleapis.com/fcm/send/abc:def", saved.Endpoint);
    }

    [Theory]
    [InlineData("http://fcm.googleapis.com/fcm/send/x", "https")]
    [InlineData("https://127.0.0.1/push/x", "not a push service")]
    [InlineData("https://169.254.169.254/latest/meta-data", "not a push service")]
    [InlineData("https://localhost/push/x", "not a push service")]
    [InlineData("https://fcm.googleapis.com.evil.example/x", "not a push service")]
    [InlineData("https://notify.windows.com/x", "not a push service")]
    [InlineData("https://fcm.googleapis.com:8443/x", "default https port")]
    [InlineData("https://user:pw@fcm.googleapis.com/x", "user information")]
    [InlineData("file:///etc/passwd", "https")]
    [InlineData("/relative", "https")]
    public async Task Subscribe_WithAnEndpointTheServerMustNotCall_Is400NamingEndpoint(string endpoint, string reason)
    {
        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription(endpoint));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ProblemAsync(response);
        Assert.Contains(reason, problem.GetProperty("errors").GetProperty("endpoint")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await _server.GetService<IWebPushStore>().GetPushSubscriptionsAsync(_userId, CancellationToken.None));
    }

    [Fact]
    public async Task Subscribe_ToASubdomainOfASuffixEntry_IsSaved()
    {
        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://wns2-by3p.notify.windows.com/w/?token=x"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Subscribe_WithAnOverlongEndpoint_Is400()
    {
        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/" + new string('a', 1100)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("endpoint", out _));
    }

    [Theory]
    [InlineData("BAAA", null, "keys.p256dh")]
    [InlineData("not base64url!", null, "keys.p256dh")]
    [InlineData(null, "AAAA", "keys.auth")]
    [InlineData(null, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "keys.auth")]
    public async Task Subscribe_WithBadKeys_Is400NamingTheKey(string? p256dh, string? auth, string field)
    {
        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/fcm/send/x", p256dh, auth));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
    }

    [Fact]
    public async Task Subscribe_WithAPointOffTheCurve_Is400()
    {
        var offCurve = new byte[65];
        offCurve[0] = 0x04;
        offCurve[64] = 1;

        using var response = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/fcm/send/x", Base64Url.EncodeToString(offCurve)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty("keys.p256dh", out _));
    }

    [Fact]
    public async Task Subscribe_OverTheCap_Is409_ButSavingAnExistingOneAgainIsNot()
    {
        var first = Subscription("https://fcm.googleapis.com/fcm/send/1");
        using (var r1 = await WebPushClient.SubscribeAsync(_server, _userId, first))
        using (var r2 = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/fcm/send/2")))
        {
            Assert.Equal(HttpStatusCode.Created, r1.StatusCode);
            Assert.Equal(HttpStatusCode.Created, r2.StatusCode);
        }

        using var third = await WebPushClient.SubscribeAsync(_server, _userId, Subscription("https://fcm.googleapis.com/fcm/send/3"));
        using var again = await WebPushClient.SubscribeAsync(_server, _userId, first);

        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);
        Assert.Contains("MaxSubscriptionsPerUser", (await ProblemAsync(third)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }

    [Fact]
    public async Task Unsubscribe_RemovesTheUsersSubscription_AndIs204Again()
    {
        var endpoint = "https://updates.push.services.mozilla.com/wpush/v2/x";
        using (await WebPushClient.SubscribeAsync(_server, _userId, Subscription(endpoint)))
        {
        }

        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(_userId));
        async Task<HttpStatusCode> DeleteAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, "/push/subscriptions") { Content = JsonContent.Create(new { endpoint }) };
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync());
        Assert.Empty(await _server.GetService<IWebPushStore>().GetPushSubscriptionsAsync(_userId, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NoContent, await DeleteAsync());
    }

    [Fact]
    public async Task Subscribe_WithAServiceCredential_OrNone_Is401()
    {
        using var service = _server.CreateServiceClient();
        using var anonymous = _server.CreateClient();

        using var withKey = await service.PostAsJsonAsync("/push/subscriptions", Subscription("https://fcm.googleapis.com/fcm/send/x"));
        using var without = await anonymous.PostAsJsonAsync("/push/subscriptions", Subscription("https://fcm.googleapis.com/fcm/send/x"));

        Assert.Equal(HttpStatusCode.Unauthorized, withKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
    }

    [Theory]
    [InlineData("https://app.test", HttpStatusCode.Created)]
    [InlineData("https://evil.test", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.Forbidden)]
    public async Task Subscribe_WithTheCookie_NeedsAnAllowedOrigin(string? origin, HttpStatusCode expected)
    {
        // The socket's rule: a cookie rides along on a cross-site POST, so without the Origin check any site could
        // attach its own push endpoint to the signed-in user.
        using var client = _server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/push/subscriptions") { Content = JsonContent.Create(Subscription("https://fcm.googleapis.com/fcm/send/x")) };
        request.Headers.Add("Cookie", "__Host-notifypush_token=" + NotifyPushTestServer.UserToken(_userId));
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task VapidPublicKey_IsTheConfiguredOne()
    {
        using var client = _server.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>("/push/vapid-public-key");

        Assert.Equal(_vapid.PublicKey, body.GetProperty("publicKey").GetString());
    }

    [Theory]
    [InlineData("""{"title":""}""", "webPush.title")]
    [InlineData("""{"body":"no title"}""", "webPush.title")]
    [InlineData("""{"title":"t","url":"javascript:alert(1)"}""", "webPush.url")]
    [InlineData("""{"title":"t","url":"http://app.example/x"}""", "webPush.url")]
    [InlineData("""{"title":"t","url":"//evil.example/x"}""", "webPush.url")]
    [InlineData("""{"title":"t","icon":"x"}""", "webPush.icon")]
    [InlineData(""" "t" """, "webPush")]
    public async Task Send_WithAnInvalidWebPush_Is400NamingTheField(string webPush, string field)
    {
        using var api = _server.CreateServiceClient();

        using var response = await WebPushClient.SendRawAsync(api, $$"""{"userId":"{{_userId}}","type":"t","webPush":{{webPush}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}");
    }

    [Fact]
    public async Task Send_WithAWebPushTooLargeToEncryptUnder4KB_Is400NamingWebPush()
    {
        using var api = _server.CreateServiceClient();
        var body = JsonSerializer.Serialize(new
        {
            userId = _userId,
            type = "t",
            webPush = new { title = new string('\u20ac', 200), body = new string('\u20ac', 1000), url = "/" + new string('x', 999) },
        });

        using var response = await WebPushClient.SendRawAsync(api, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("4 KB", (await ProblemAsync(response)).GetProperty("errors").GetProperty("webPush")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebPushRoutes_WhenWebPushIsOff_Are404_AndASendWithWebPushIs400()
    {
        using var off = new NotifyPushTestServer();
        using var client = off.CreateClient();
        using var api = off.CreateServiceClient();

        using var key = await client.GetAsync("/push/vapid-public-key");
        using var subscribe = await WebPushClient.SubscribeAsync(off, _userId, Subscription("https://fcm.googleapis.com/fcm/send/x"));
        using var send = await WebPushClient.SendRawAsync(api, $$$"""{"userId":"{{{_userId}}}","type":"t","webPush":{"title":"t"}}""");

        Assert.Equal(HttpStatusCode.NotFound, key.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, subscribe.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, send.StatusCode);
        Assert.Contains("not enabled", (await ProblemAsync(send)).GetProperty("errors").GetProperty("webPush")[0].GetString(), StringComparison.Ordinal);
    }
}
