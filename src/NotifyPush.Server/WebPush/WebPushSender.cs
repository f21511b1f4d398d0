using System.Net;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// Sends one push (VAPID, RFC 8292; aes128gcm, RFC 8291) through Lib.Net.Http.WebPush. Retries are the worker's, not
/// the library's: its automatic Retry-After wait is off, so a slow push service never holds a worker.
/// </summary>
public sealed class WebPushSender : IDisposable
{
    /// <summary>The named <see cref="HttpClient"/> of the push requests (no redirects: an endpoint's host was checked, a redirect's would not be).</summary>
    public const string HttpClientName = "NotifyPush.WebPush";

    // Push services keep a message at most about four weeks (FCM: 2,419,200 s).
    private const int MaxTtlSeconds = 2_419_200;

    private readonly IHttpClientFactory _httpClients;
    private readonly WebPushOptions _options;
    private readonly VapidAuthentication? _vapid;

    public WebPushSender(IHttpClientFactory httpClients, IOptions<WebPushOptions> options)
    {
        _httpClients = httpClients;
        _options = options.Value;
        if (_options.Enabled)
        {
            _vapid = new VapidAuthentication(_options.PublicKey, _options.PrivateKey) { Subject = _options.Subject };
        }
    }

    /// <summary>Pushes <paramref name="message"/> to one subscription, to be kept by the push service until <paramref name="expiresAt"/>.</summary>
    public async Task<PushResult> SendAsync(PushSubscriptionRecord subscription, byte[] message, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var vapid = _vapid ?? throw new InvalidOperationException("Web Push is not enabled.");
        var client = new PushServiceClient(_httpClients.CreateClient(HttpClientName))
        {
            AutoRetryAfter = false,
            DefaultAuthentication = vapid,
            DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
        };
        var target = new PushSubscription { Endpoint = subscription.Endpoint };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        var ttl = (int)Math.Clamp((expiresAt - now).TotalSeconds, 0, MaxTtlSeconds);
        using var content = new ByteArrayContent(message);
        var push = new PushMessage(content) { TimeToLive = ttl, Urgency = PushMessageUrgency.Normal };
        try
        {
            await client.RequestPushMessageDeliveryAsync(target, push, vapid, VapidAuthenticationScheme.Vapid, cancellationToken);
            return new PushResult(PushOutcome.Sent, StatusCodes.Status201Created, null);
        }
        catch (PushServiceClientException exception)
        {
            var status = (int)exception.StatusCode;
            var retryAfter = RetryAfter(exception.Headers?.RetryAfter, now);
            return exception.StatusCode switch
            {
                HttpStatusCode.NotFound or HttpStatusCode.Gone => new PushResult(PushOutcome.Gone, status, null),
                HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => new PushResult(PushOutcome.Retry, status, retryAfter),
                _ when status >= 500 => new PushResult(PushOutcome.Retry, status, retryAfter),
                _ => new PushResult(PushOutcome.Rejected, status, null),
            };
        }
        catch (HttpRequestException)
        {
            return new PushResult(PushOutcome.Retry, 0, null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's timeout, not the host stopping.
            return new PushResult(PushOutcome.Retry, 0, null);
        }
    }

    public void Dispose() => _vapid?.Dispose();

    private static TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header, DateTimeOffset now) =>
        header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
            _ => null,
        };
}
