using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Logging;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class AccessTokenRedactionTests
{
    public enum ProviderRegistration
    {
        BeforeRedaction,
        AfterRedaction,
        OnTheFactoryAfterBuild,
    }

    [Theory]
    [InlineData(ProviderRegistration.BeforeRedaction)]
    [InlineData(ProviderRegistration.AfterRedaction)]
    [InlineData(ProviderRegistration.OnTheFactoryAfterBuild)]
    public async Task Request_WithAccessTokenInQuery_NeverReachesAnyLogButTheRedactedMarkerDoes(ProviderRegistration registration)
    {
        var secret = "SECRET" + Guid.NewGuid().ToString("N");
        var capture = new FakeLoggerProvider();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(TestTokens.HmacSettings());
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddFilter("Microsoft", LogLevel.Debug);
        if (registration == ProviderRegistration.BeforeRedaction)
        {
            builder.Logging.AddProvider(capture);
        }

        builder.Services.AddInMemoryTokenRevocations();
        builder.Services.AddNotifyPushAuthentication(builder.Configuration, builder.Environment);
        if (registration == ProviderRegistration.AfterRedaction)
        {
            builder.Logging.AddProvider(capture);
        }

        await using var app = builder.Build();
        if (registration == ProviderRegistration.OnTheFactoryAfterBuild)
        {
            app.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        }

        // Logged before authentication runs, as any application middleware could; then the socket policy refuses
        // the token, which must not leak through the framework's authentication logs either.
        app.Use(async (context, next) =>
        {
            var logger = context.RequestServices.GetRequiredService<ILogger<AccessTokenRedactionTests>>();
            var url = context.Request.Path + context.Request.QueryString;

            // The ways application code could leak it: a structured value, an interpolated
            // template, a scope, an exception message, a logged JSON frame.
            using (logger.BeginScope("Handshake {Url}", url))
            {
                logger.LogInformation("Handshake for {Url}", url);
#pragma warning disable CA2254 // Deliberately a non-constant template: it must be redacted too.
                logger.LogInformation($"Interpolated handshake for {url}");
#pragma warning restore CA2254
                logger.LogWarning(new InvalidOperationException("Bad request target " + url), "Handshake failed");
                logger.LogDebug("Frame received: {Frame}", "{\"type\":\"auth\",\"token\":\"" + secret + "\"}");
            }

            await next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.Map("/ws", () => Results.Ok()).RequireAuthorization(NotifyPushPolicies.SocketUser);

        await app.StartAsync().WithTimeout();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(15) };

            using var response = await client.GetAsync("/ws?since=5&access_token=" + secret + "&x=1").WithTimeout();

            Assert.Equal(401, (int)response.StatusCode);
        }
        finally
        {
            await app.StopAsync().WithTimeout();
        }

        var logs = capture.Collector.GetSnapshot();
        var leaks = logs.SelectMany(l => l.AllText().Select(text => (l.Category, text))).Where(p => p.text.Contains(secret, StringComparison.Ordinal)).ToList();
        Assert.Empty(leaks);

        var requestStarting = Assert.Single(logs, l => l.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && l.Message.StartsWith("Request starting", StringComparison.Ordinal));
        Assert.Contains("access_token=" + AccessTokenRedactor.Marker, requestStarting.Message, StringComparison.Ordinal);
        Assert.Contains(requestStarting.StructuredState!, v => v.Value?.Contains("access_token=" + AccessTokenRedactor.Marker, StringComparison.Ordinal) == true);
        Assert.Contains("since=5", requestStarting.Message, StringComparison.Ordinal);
        Assert.Contains("&x=1", requestStarting.Message, StringComparison.Ordinal);

        var appLogs = logs.Where(l => l.Category == typeof(AccessTokenRedactionTests).FullName).ToList();
        Assert.Equal(4, appLogs.Count);
        Assert.All(appLogs, l => Assert.Contains(AccessTokenRedactor.Marker, string.Join("\n", l.AllText()), StringComparison.Ordinal));
        Assert.Contains(appLogs, l => l.Exception?.ToString().Contains("access_token=" + AccessTokenRedactor.Marker, StringComparison.Ordinal) == true);
        Assert.Contains(appLogs, l => l.ScopeTexts().Any(s => s.Contains("access_token=" + AccessTokenRedactor.Marker, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("/ws?access_token=abc.def.ghi", "/ws?access_token=[redacted]")]
    [InlineData("/ws?a=1&ACCESS_TOKEN=abc&b=2", "/ws?a=1&ACCESS_TOKEN=[redacted]&b=2")]
    [InlineData("GET /ws?access_token=abc HTTP/1.1", "GET /ws?access_token=[redacted] HTTP/1.1")]
    [InlineData("returnUrl=%2Fws%3Faccess_token%3Dabc%26x%3D1", "returnUrl=%2Fws%3Faccess_token%3D[redacted]")]
    [InlineData("{\"type\":\"auth\",\"token\":\"abc.def\"}", "{\"type\":\"auth\",\"token\":\"[redacted]\"}")]
    [InlineData("{\"access_token\" : \"abc\"}", "{\"access_token\" : \"[redacted]\"}")]
    [InlineData("token has expired", "token has expired")]
    public void Redact_ReplacesOnlyTheCredentialValue(string input, string expected) =>
        Assert.Equal(expected, AccessTokenRedactor.Redact(input));
}
