using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Testing;

/// <summary>The calls a browser page and a business service make around Web Push, for tests.</summary>
public static class WebPushClient
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>POSTs <paramref name="body"/> to /push/subscriptions with the user's bearer token; returns the response.</summary>
    public static async Task<HttpResponseMessage> SubscribeAsync(NotifyPushTestServer server, string userId, object body)
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(userId));
        using var timeout = new CancellationTokenSource(Timeout);
        return await client.PostAsJsonAsync("/push/subscriptions", body, timeout.Token);
    }

    /// <summary>Saves the subscription for the user; fails the test unless 201.</summary>
    public static async Task SubscribeAsync(NotifyPushTestServer server, string userId, BrowserSubscription subscription)
    {
        using var response = await SubscribeAsync(server, userId, subscription.ToJson());
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Expected 201, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Sends one notification with a webPush member; returns its seq and id. Fails the test unless 202.</summary>
    public static async Task<(long Seq, Guid Id)> SendAsync(HttpClient api, string userId, string title = "Order shipped", string body = "Order 42 is on its way", string? url = "/orders/42")
    {
        using var response = await SendRawAsync(api, JsonSerializer.Serialize(new
        {
            userId,
            type = "order.shipped",
            payload = new { orderId = 42 },
            webPush = new { title, body, url },
        }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        var sent = document.RootElement.GetProperty("notifications")[0];
        return (sent.GetProperty("seq").GetInt64(), sent.GetProperty("id").GetGuid());
    }

    public static async Task<HttpResponseMessage> SendRawAsync(HttpClient api, string json)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        return await api.PostAsync("/api/notifications", new StringContent(json, Encoding.UTF8, "application/json"), timeout.Token);
    }
}
