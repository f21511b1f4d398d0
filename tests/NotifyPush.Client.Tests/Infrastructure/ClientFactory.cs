using NotifyPush.Client.Publishing;
using NotifyPush.Client.Subscribing;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>Publishers and subscribers set up for a test server: the test API key, user tokens, fast backoff.</summary>
public static class ClientFactory
{
    /// <summary>Retries fast enough for tests: up to 6 attempts within 30 s, first retry within 50 ms.</summary>
    public static NotifyPushRetryOptions FastRetry() => new()
    {
        MaxAttempts = 6,
        FirstDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromMilliseconds(500),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        TotalTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A publisher of <paramref name="baseAddress"/> with the test API key over a client the caller disposes.</summary>
    public static (NotifyPushPublisher Publisher, HttpClient Http) Publisher(Uri baseAddress, NotifyPushRetryOptions? retry = null, NotifyPushCredential? credential = null, HttpMessageHandler? handler = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler);
        var publisher = new NotifyPushPublisher(http, new NotifyPushPublisherOptions
        {
            BaseAddress = baseAddress,
            Credential = credential ?? NotifyPushCredential.ApiKey(NotifyPushTestServer.ApiKey),
            Retry = retry ?? FastRetry(),
        });
        return (publisher, http);
    }

    /// <summary>Subscriber options for <paramref name="userId"/> on <paramref name="socketUri"/> with fresh test tokens and fast backoff.</summary>
    public static NotifyPushSubscriberOptions SubscriberOptions(Uri socketUri, string userId, Func<CancellationToken, ValueTask<string>>? tokenProvider = null) => new()
    {
        SocketUri = socketUri,
        TokenProvider = tokenProvider ?? (_ => ValueTask.FromResult(NotifyPushTestServer.UserToken(userId))),
        ReconnectFirstDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        HeartbeatGrace = TimeSpan.FromSeconds(3),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AckInterval = TimeSpan.FromMilliseconds(100),
    };
}
