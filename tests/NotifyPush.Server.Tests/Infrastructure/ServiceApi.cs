using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>Small helpers over the service API for tests.</summary>
public static class ServiceApi
{
    /// <summary>POSTs a notification and returns the response (not asserted).</summary>
    public static async Task<HttpResponseMessage> PostRawAsync(HttpClient client, string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await client.SendAsync(request, timeout.Token);
    }

    /// <summary>Sends one notification to each user and returns the (userId, seq) pairs; fails the test unless 202.</summary>
    public static async Task<List<(string UserId, long Seq, Guid Id)>> SendAsync(HttpClient client, IReadOnlyList<string> userIds, string type = "test.event", object? payload = null, string? idempotencyKey = null)
    {
        var body = userIds.Count == 1
            ? JsonSerializer.Serialize(new { userId = userIds[0], type, payload })
            : JsonSerializer.Serialize(new { userIds, type, payload });
        using var response = await PostRawAsync(client, body, idempotencyKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"Expected 202, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("notifications").EnumerateArray()
            .Select(n => (n.GetProperty("userId").GetString()!, n.GetProperty("seq").GetInt64(), n.GetProperty("id").GetGuid()))
            .ToList();
    }

    public static Task<List<(string UserId, long Seq, Guid Id)>> SendAsync(HttpClient client, string userId, string type = "test.event", object? payload = null, string? idempotencyKey = null) =>
        SendAsync(client, [userId], type, payload, idempotencyKey);

    /// <summary>Polls until <paramref name="condition"/> holds, failing the test after the timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
