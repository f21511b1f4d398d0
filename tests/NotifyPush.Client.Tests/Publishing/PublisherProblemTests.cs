using System.Net;
using NotifyPush.Client.Problems;
using NotifyPush.Client.Publishing;
using NotifyPush.Client.Tests.Infrastructure;
using static NotifyPush.Client.Tests.Infrastructure.ClientFactory;

namespace NotifyPush.Client.Tests.Publishing;

/// <summary>Every error answer of a real server arrives as its typed exception, with the problem's fields and never the credential.</summary>
public sealed class PublisherProblemTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly NotifyPushTestServer _server = fixture.Server;

    [Fact]
    public async Task SendAsync_WithAnInvalidBody_ThrowsAValidationExceptionWithFieldErrors()
    {
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        var user = NewUser();

        var blankType = await Assert.ThrowsAsync<NotifyPushValidationException>(() => publisher.SendAsync(user, " ")).WithTimeout();
        var repeated = await Assert.ThrowsAsync<NotifyPushValidationException>(() => publisher.SendAsync([user, user], "twice")).WithTimeout();

        Assert.Equal(400, blankType.StatusCode);
        Assert.Equal("Invalid request body", blankType.Title);
        Assert.Contains("type", blankType.Errors.Keys);
        Assert.StartsWith("00-", blankType.TraceId);
        Assert.Equal(1, blankType.Attempts);
        Assert.Contains("Invalid request body", blankType.Message);
        Assert.Contains("userIds[1]", repeated.Errors.Keys);
        Assert.Contains("userIds[1]", repeated.Message);
    }

    [Fact]
    public async Task GetHistoryAsync_WithALimitOutOfRange_ThrowsAValidationException()
    {
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushValidationException>(() => publisher.GetHistoryAsync(NewUser(), limit: 100_000)).WithTimeout();

        Assert.Equal("Invalid request", exception.Title);
        Assert.Contains("limit", exception.Detail);
    }

    [Fact]
    public async Task SendAsync_WithAWrongApiKey_Throws401WithoutTheKeyInTheException()
    {
        const string wrongKey = "wrong-key-3b1f9c";
        var (publisher, http) = Publisher(_server.BaseAddress, credential: NotifyPushCredential.ApiKey(wrongKey));
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushAuthenticationException>(() => publisher.SendAsync(NewUser(), "x")).WithTimeout();

        Assert.Equal(401, exception.StatusCode);
        Assert.Equal(1, exception.Attempts);
        Assert.DoesNotContain(wrongKey, exception.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(NotifyPushTestServer.ApiKey, exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WithAUserTokenAsTheCredential_Throws403()
    {
        var user = NewUser();
        var userToken = NotifyPushTestServer.UserToken(user);
        var (publisher, http) = Publisher(_server.BaseAddress, credential: NotifyPushCredential.ServiceToken(_ => ValueTask.FromResult(userToken)));
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushAuthenticationException>(() => publisher.SendAsync(user, "x")).WithTimeout();

        Assert.Equal(403, exception.StatusCode);
        Assert.DoesNotContain(userToken, exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_WithTheSameKeyAndAnotherBody_ThrowsAnIdempotencyConflict()
    {
        var (publisher, http) = Publisher(_server.BaseAddress);
        using var _ = http;
        var user = NewUser();
        var options = new NotificationSendOptions { IdempotencyKey = $"k-{Guid.NewGuid():N}" };
        await publisher.SendAsync(user, "first", new { n = 1 }, options).WithTimeout();

        var exception = await Assert.ThrowsAsync<NotifyPushIdempotencyConflictException>(() => publisher.SendAsync(user, "first", new { n = 2 }, options)).WithTimeout();

        Assert.Equal(422, exception.StatusCode);
        Assert.Equal(options.IdempotencyKey, exception.IdempotencyKey);
        Assert.Equal(1, exception.Attempts);
    }

    [Fact]
    public async Task SendAsync_WithAPayloadOverTheLimit_ThrowsPayloadTooLarge()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Api:MaxPayloadBytes"] = "1024" });
        var (publisher, http) = Publisher(server.BaseAddress);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushPayloadTooLargeException>(() => publisher.SendAsync(NewUser(), "big", new { text = new string('x', 2000) })).WithTimeout();

        Assert.Equal(413, exception.StatusCode);
        Assert.Equal("Payload too large", exception.Title);
    }

    [Fact]
    public async Task SendAsync_WhenRateLimited_ThrowsWithRetryAfterOrWaitsItOutWhenRetrying()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Api:RateLimitPerSecond"] = "1",
            ["NotifyPush:Api:RateLimitBurst"] = "1",
        });
        var (strict, strictHttp) = Publisher(server.BaseAddress, NotifyPushRetryOptions.None);
        var (patient, patientHttp) = Publisher(server.BaseAddress);
        using var _ = strictHttp;
        using var __ = patientHttp;
        var user = NewUser();
        await strict.SendAsync(user, "allowed").WithTimeout();

        var limited = await Assert.ThrowsAsync<NotifyPushRateLimitedException>(() => strict.SendAsync(user, "limited")).WithTimeout();
        var waited = await patient.SendAsync(user, "waited").WithTimeout();

        Assert.Equal(429, limited.StatusCode);
        Assert.NotNull(limited.RetryAfter);
        Assert.InRange(limited.RetryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.True(waited.Attempts >= 2, $"attempts: {waited.Attempts}");
        Assert.Equal(2, Assert.Single(waited.Notifications).Seq);
    }

    [Fact]
    public async Task SendAsync_WhenNothingListens_RetriesThenThrowsUnavailableWithoutAStatus()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var retry = FastRetry();
        retry.MaxAttempts = 3;
        var (publisher, http) = Publisher(new Uri($"http://127.0.0.1:{closedPort}/"), retry);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushUnavailableException>(() => publisher.SendAsync(NewUser(), "x")).WithTimeout();

        Assert.Null(exception.StatusCode);
        Assert.Equal(3, exception.Attempts);
        Assert.IsType<HttpRequestException>(exception.InnerException);
        Assert.NotNull(exception.IdempotencyKey);
    }

    [Fact]
    public async Task SendAsync_WhenAProxyAnswersWithAnHtmlPage_RetriesWithTheSameKeyAndThrowsAUsefulException()
    {
        var handler = new StubHandler(_ => StubHandler.Text(HttpStatusCode.BadGateway, "text/html", "<html><body>502 Bad Gateway (nginx)</body></html>"));
        var retry = FastRetry();
        retry.MaxAttempts = 3;
        var (publisher, http) = Publisher(new Uri("http://notify.test/"), retry, handler: handler);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushUnavailableException>(() => publisher.SendAsync("u1", "x")).WithTimeout();

        Assert.Equal(502, exception.StatusCode);
        Assert.Equal("Bad Gateway", exception.Title);
        Assert.Contains("502 Bad Gateway (nginx)", exception.Detail);
        Assert.Contains("text/html", exception.Message);
        Assert.Equal(3, exception.Attempts);
        Assert.Equal(3, handler.IdempotencyKeys.Count);
        Assert.Single(handler.IdempotencyKeys.Distinct());
        Assert.Equal(exception.IdempotencyKey, handler.IdempotencyKeys[0]);
    }

    [Fact]
    public async Task SendAsync_WhenTheServerAsksToWaitLongerThanTheTimeBudget_ThrowsAtOnce()
    {
        var handler = new StubHandler(_ => StubHandler.Text(HttpStatusCode.ServiceUnavailable, "application/problem+json", """{"title":"Store unavailable","status":503}""", TimeSpan.FromSeconds(30)));
        var retry = FastRetry();
        retry.TotalTimeout = TimeSpan.FromSeconds(5);
        var (publisher, http) = Publisher(new Uri("http://notify.test/"), retry, handler: handler);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushUnavailableException>(() => publisher.SendAsync("u1", "x")).WithTimeout(TimeSpan.FromSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(30), exception.RetryAfter);
        Assert.Equal("Store unavailable", exception.Title);
        Assert.Equal(1, exception.Attempts);
    }

    [Fact]
    public async Task SendAsync_WhenAnErrorIsNotAProblem_ThrowsTheBaseExceptionWithTheStatus()
    {
        var handler = new StubHandler(_ => StubHandler.Text(HttpStatusCode.NotFound, "text/plain", "no such route"));
        var (publisher, http) = Publisher(new Uri("http://notify.test/prefix"), handler: handler);
        using var _ = http;

        var exception = await Assert.ThrowsAsync<NotifyPushException>(() => publisher.SendAsync("u1", "x")).WithTimeout();

        Assert.Equal(typeof(NotifyPushException), exception.GetType());
        Assert.Equal(404, exception.StatusCode);
        Assert.Contains("no such route", exception.Message);
        Assert.Empty(exception.Errors);
    }
}
