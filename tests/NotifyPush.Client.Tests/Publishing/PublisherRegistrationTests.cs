using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using NotifyPush.Client.Publishing;
using NotifyPush.Client.Tests.Infrastructure;

namespace NotifyPush.Client.Tests.Publishing;

/// <summary><c>services.AddNotifyPushPublisher(…)</c>: the publisher as a typed client of IHttpClientFactory, against a real server.</summary>
public sealed class PublisherRegistrationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly NotifyPushTestServer _server = fixture.Server;

    [Fact]
    public async Task AddNotifyPushPublisher_ResolvesAPublisherOverTheFactorysClient_ThatSendsToARealSocket()
    {
        var user = $"di-{Guid.NewGuid():N}";
        var seen = new CountingHandler();
        var services = new ServiceCollection();
        services.AddNotifyPushPublisher(options =>
            {
                options.BaseAddress = _server.BaseAddress;
                options.Credential = NotifyPushCredential.ApiKey(NotifyPushTestServer.ApiKey);
            })
            .AddHttpMessageHandler(() => seen);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        await using var socket = await TestSocket.ConnectAsync(_server, user);
        await socket.ReadUntilSyncedAsync();
        var publisher = provider.GetRequiredService<NotifyPushPublisher>();
        var result = await publisher.SendAsync(user, "order.shipped", new { OrderId = 7 }).WithTimeout();

        Assert.Equal(1, Assert.Single(result.Notifications).Seq);
        Assert.Equal("order.shipped", (await socket.ReadNotificationsAsync(1))[0].GetProperty("event").GetString());
        Assert.Equal(1, seen.Requests);

        // A typed client is transient; each resolution gets a client from the factory's pooled handlers.
        Assert.NotSame(publisher, provider.GetRequiredService<NotifyPushPublisher>());
    }

    [Fact]
    public async Task AddNotifyPushPublisher_WithTheStandardResilienceHandler_RetriesA503AndTheSendIsStoredOnce()
    {
        var user = $"di-{Guid.NewGuid():N}";
        var flaky = new FirstAttemptUnavailableHandler();
        var services = new ServiceCollection();
        var client = services.AddNotifyPushPublisher(options =>
        {
            options.BaseAddress = _server.BaseAddress;
            options.Credential = NotifyPushCredential.ApiKey(NotifyPushTestServer.ApiKey);
            // The resilience handler retries; the publisher's own retries would multiply its attempts.
            options.Retry = new NotifyPushRetryOptions { MaxAttempts = 1, AttemptTimeout = TimeSpan.FromSeconds(30), TotalTimeout = TimeSpan.FromSeconds(60) };
        });
        client.AddStandardResilienceHandler(options =>
        {
            options.Retry.Delay = TimeSpan.FromMilliseconds(10);
            options.Retry.UseJitter = false;
        });

        // Inside the resilience handler, so its retry sees this 503.
        client.AddHttpMessageHandler(() => flaky);
        await using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<NotifyPushPublisher>().SendAsync(user, "retried", new { }).WithTimeout();

        // The first attempt got 503 (the server never saw it); the handler's retry went through with the same key.
        Assert.Equal(2, flaky.Attempts);
        Assert.Single(flaky.IdempotencyKeys.Distinct());
        Assert.Equal(1, Assert.Single(result.Notifications).Seq);
        var (reader, http) = ClientFactory.Publisher(_server.BaseAddress);
        using (http)
        {
            Assert.Single((await reader.GetHistoryAsync(user).WithTimeout()).Notifications);
        }
    }

    private sealed class CountingHandler : DelegatingHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Answers the first send with 503 itself, as a replica without its store would, and passes the rest on.</summary>
    private sealed class FirstAttemptUnavailableHandler : DelegatingHandler
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public List<string> IdempotencyKeys { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (IdempotencyKeys)
            {
                IdempotencyKeys.Add(request.Headers.GetValues("Idempotency-Key").Single());
            }

            return Interlocked.Increment(ref _attempts) == 1
                ? Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request })
                : base.SendAsync(request, cancellationToken);
        }
    }
}
