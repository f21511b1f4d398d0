using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotifyPush.Client.Problems;
using NotifyPush.Client.Publishing;

namespace NotifyPush.Testing;

/// <summary>Small helpers over the service API for tests.</summary>
public static class ServiceApi
{
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(60);

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

    /// <summary>
    /// Sends one notification to each user through the .NET client's publisher (one attempt, no retries, so a failure
    /// is the server's answer, not hidden by a retry) and returns the (userId, seq, id) triples; fails the test unless 202.
    /// The client must carry the service credential (as <see cref="NotifyPushTestServer.CreateServiceClient"/> does) and a base address.
    /// </summary>
    public static async Task<List<(string UserId, long Seq, Guid Id)>> SendAsync(HttpClient client, IReadOnlyList<string> userIds, string type = "test.event", object? payload = null, string? idempotencyKey = null)
    {
        var publisher = new NotifyPushPublisher(client, new NotifyPushPublisherOptions
        {
            Retry = new NotifyPushRetryOptions { MaxAttempts = 1, AttemptTimeout = SendTimeout, TotalTimeout = SendTimeout },
            // Payloads as the tests spell them (no camelCasing), as the raw requests of PostRawAsync send them.
            SerializerOptions = JsonSerializerOptions.Default,
        });
        var options = new NotificationSendOptions { IdempotencyKey = idempotencyKey };
        try
        {
            var result = userIds.Count == 1
                ? await publisher.SendAsync(userIds[0], type, payload, options)
                : await publisher.SendAsync(userIds, type, payload, options);
            return result.Notifications.Select(n => (n.UserId, n.Seq, n.Id)).ToList();
        }
        catch (NotifyPushException ex)
        {
            throw new Xunit.Sdk.XunitException($"Expected 202, got {ex.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer"}: {ex.Message}");
        }
    }

    public static Task<List<(string UserId, long Seq, Guid Id)>> SendAsync(HttpClient client, string userId, string type = "test.event", object? payload = null, string? idempotencyKey = null) =>
        SendAsync(client, [userId], type, payload, idempotencyKey);

    /// <summary>Polls until <paramref name="condition"/> holds, failing the test after the timeout.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(15));
}
