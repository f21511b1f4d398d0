using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Endpoints;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class DevTokenEndpointTests
{
    private static async Task<WebApplication> StartAsync(string environment, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        builder.Services.AddInMemoryTokenRevocations();
        builder.Services.AddNotifyPushAuthentication(builder.Configuration, builder.Environment);
        var app = builder.Build();
        app.MapDevTokenEndpoint();
        await app.StartAsync().WithTimeout();
        return app;
    }

    [Fact]
    public async Task Post_InDevelopment_ReturnsATokenTheUserValidatorAccepts()
    {
        await using var app = await StartAsync(Environments.Development);
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/dev/token", new { userId = "alice", lifetimeSeconds = 120 }).WithTimeout();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alice", body.GetProperty("userId").GetString());
        var expiresAt = body.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddSeconds(100), DateTimeOffset.UtcNow.AddSeconds(125));
        var validation = await app.Services.GetRequiredService<IUserTokenValidator>()
            .ValidateAsync(body.GetProperty("token").GetString()!, CancellationToken.None).WithTimeout();
        Assert.True(validation.Succeeded, validation.Error);
        Assert.Equal("alice", validation.UserId);
        // The token's exp, plus the default 30 s clock skew the validator accepts it for.
        Assert.Equal(expiresAt.AddSeconds(30), validation.ExpiresAt);
    }

    [Fact]
    public async Task Post_WithoutLifetime_UsesTheConfiguredLifetimeAndCapsLongerRequests()
    {
        await using var app = await StartAsync(Environments.Development, new Dictionary<string, string?> { ["NotifyPush:Auth:DevTokenLifetimeSeconds"] = "60" });
        using var client = app.GetTestClient();

        using var defaulted = await client.PostAsJsonAsync("/dev/token", new { userId = "alice" }).WithTimeout();
        using var capped = await client.PostAsJsonAsync("/dev/token", new { userId = "alice", lifetimeSeconds = 100_000 }).WithTimeout();

        foreach (var response in new[] { defaulted, capped })
        {
            var expiresAt = (await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout()).GetProperty("expiresAt").GetDateTimeOffset();
            Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddSeconds(50), DateTimeOffset.UtcNow.AddSeconds(61));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public async Task Post_WithEmptyUserId_Returns400ProblemDetails(string? userId)
    {
        await using var app = await StartAsync(Environments.Development);
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/dev/token", new { userId }).WithTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().WithTimeout();
        Assert.True(problem.GetProperty("errors").TryGetProperty("userId", out _));
    }

    [Fact]
    public async Task Post_WithUserIdOverTheUserIdLimit_Returns400ProblemDetails()
    {
        await using var app = await StartAsync(Environments.Development);
        using var client = app.GetTestClient();

        using var ok = await client.PostAsJsonAsync("/dev/token", new { userId = new string('a', UserIds.MaxLength) }).WithTimeout();
        using var tooLong = await client.PostAsJsonAsync("/dev/token", new { userId = new string('a', UserIds.MaxLength + 1) }).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("application/problem+json", tooLong.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Post_WithNegativeLifetime_Returns400ProblemDetails()
    {
        await using var app = await StartAsync(Environments.Development);
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/dev/token", new { userId = "alice", lifetimeSeconds = -5 }).WithTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Post_OutsideDevelopment_RouteDoesNotExist(string environment)
    {
        await using var app = await StartAsync(environment, TestTokens.HmacSettings());
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/dev/token", new { userId = "alice" }).WithTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Post_InDevelopmentWithAPublicKeyInsteadOfASecret_Returns409()
    {
        await using var app = await StartAsync(Environments.Development, TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));
        using var client = app.GetTestClient();

        using var response = await client.PostAsJsonAsync("/dev/token", new { userId = "alice" }).WithTimeout();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
