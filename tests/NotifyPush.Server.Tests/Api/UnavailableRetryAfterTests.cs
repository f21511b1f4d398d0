using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Api;

/// <summary>
/// <c>NotifyPush:Api:UnavailableRetryAfterSeconds</c> and its former name <c>StoreRetryAfterSeconds</c>: the
/// <c>Retry-After</c> of a 503 for an unavailable dependency (here the revocation store at a handshake).
/// </summary>
public sealed class UnavailableRetryAfterTests
{
    [Fact]
    public async Task RetryAfter_IsTheNewSetting_AndNothingIsSaidAboutTheFormerName()
    {
        var logs = new FakeLogCollector();
        using var server = StartWithUnavailableStore(new() { ["NotifyPush:Api:UnavailableRetryAfterSeconds"] = "9" }, logs);

        Assert.Equal(TimeSpan.FromSeconds(9), await HandshakeRetryAfterAsync(server));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.DeprecatedSetting);
    }

    [Fact]
    public async Task RetryAfter_FromTheFormerNameAlone_IsUsed_WithAWarningNamingTheNewKey()
    {
        var logs = new FakeLogCollector();
        using var server = StartWithUnavailableStore(new() { ["NotifyPush:Api:StoreRetryAfterSeconds"] = "17" }, logs);

        Assert.Equal(TimeSpan.FromSeconds(17), await HandshakeRetryAfterAsync(server));
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.DeprecatedSetting);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("NotifyPush:Api:StoreRetryAfterSeconds", warning.Message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Api:UnavailableRetryAfterSeconds", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BothNames_WithTheSameValue_Start()
    {
        using var server = StartWithUnavailableStore(new()
        {
            ["NotifyPush:Api:StoreRetryAfterSeconds"] = "12",
            ["NotifyPush:Api:UnavailableRetryAfterSeconds"] = "12",
        }, new FakeLogCollector());

        Assert.Equal(TimeSpan.FromSeconds(12), await HandshakeRetryAfterAsync(server));
    }

    [Fact]
    public void BothNames_WithDifferentValues_AreRefusedAtStartUp_NamingBoth()
    {
        var exception = Assert.ThrowsAny<Exception>(() => StartWithUnavailableStore(new()
        {
            ["NotifyPush:Api:StoreRetryAfterSeconds"] = "12",
            ["NotifyPush:Api:UnavailableRetryAfterSeconds"] = "3",
        }, new FakeLogCollector()).Dispose());

        var message = exception.ToString();
        Assert.Contains("NotifyPush:Api:StoreRetryAfterSeconds (12)", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Api:UnavailableRetryAfterSeconds (3)", message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheFormerName_OutOfRange_IsRefusedAtStartUp()
    {
        var exception = Assert.ThrowsAny<Exception>(() => StartWithUnavailableStore(new()
        {
            ["NotifyPush:Api:StoreRetryAfterSeconds"] = "0",
        }, new FakeLogCollector()).Dispose());

        Assert.Contains("StoreRetryAfterSeconds", exception.ToString(), StringComparison.Ordinal);
    }

    private static NotifyPushTestServer StartWithUnavailableStore(Dictionary<string, string?> settings, FakeLogCollector logs) =>
        new(settings, services: services =>
        {
            services.AddSingleton<ITokenRevocationStore, UnavailableRevocationStore>();
            services.AddSingleton<ILoggerProvider>(new FakeLoggerProvider(logs));
        });

    private static async Task<TimeSpan?> HandshakeRetryAfterAsync(NotifyPushTestServer server)
    {
        using var client = server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", NotifyPushTestServer.UserToken(TestUsers.NewUser()));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, timeout.Token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        return response.Headers.RetryAfter?.Delta;
    }
}
