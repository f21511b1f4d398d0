using System.Net;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>An HTTP handler that answers every request with what <c>answer</c> makes, and records each request's <c>Idempotency-Key</c>.</summary>
public sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
{
    private readonly List<string?> _keys = [];

    public IReadOnlyList<string?> IdempotencyKeys
    {
        get
        {
            lock (_keys)
            {
                return [.. _keys];
            }
        }
    }

    public static HttpResponseMessage Text(HttpStatusCode status, string mediaType, string body, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, mediaType) };
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        }

        return response;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_keys)
        {
            _keys.Add(request.Headers.TryGetValues("Idempotency-Key", out var values) ? values.Single() : null);
        }

        return Task.FromResult(answer(request));
    }
}
