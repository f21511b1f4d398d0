using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class ServiceAuthenticationTests : IDisposable
{
    private readonly ServiceProvider _services;

    public ServiceAuthenticationTests()
    {
        _services = AuthTestServices.Build(TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:ApiKeys:1:Name"] = "orders",
            ["NotifyPush:Auth:ApiKeys:1:Sha256"] = TestTokens.Sha256Hex("orders-key-123").ToUpperInvariant(),
        }));
        _services.ValidateOnStart();
    }

    public void Dispose() => _services.Dispose();

    private Task<AuthOutcome> AuthenticateAsync(string? authorization)
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        // The policy of the send route: a service caller holding notifications:send.
        return PolicyProbe.AuthorizeAsync(_services, context, NotifyPushPolicies.Scope(ServiceScopes.Send));
    }

    [Fact]
    public async Task Authenticate_WithConfiguredApiKey_SucceedsAsThatKeysName()
    {
        var result = await AuthenticateAsync("ApiKey " + TestTokens.ApiKey);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(TestTokens.ApiKeyName, result.Caller);
        Assert.Null(result.Error);
    }

    [Fact]
    public async Task Authenticate_WithSecondApiKeyConfiguredAsUpperCaseHex_SucceedsAsItsName()
    {
        var result = await AuthenticateAsync("ApiKey orders-key-123");

        Assert.Equal("orders", result.Caller);
    }

    [Fact]
    public async Task Authenticate_WithApiKeySchemeInOtherCase_Succeeds()
    {
        var result = await AuthenticateAsync("apikey " + TestTokens.ApiKey);

        Assert.True(result.Succeeded, result.Error);
    }

    [Theory]
    [InlineData("ApiKey wrong-key")]
    [InlineData("ApiKey test-api-key-6c1d2f0e9b8")]
    [InlineData("ApiKey ")]
    [InlineData("ApiKey")]
    public async Task Authenticate_WithWrongApiKey_IsUnauthorized(string authorization)
    {
        var result = await AuthenticateAsync(authorization);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
        Assert.Equal("ApiKey, Bearer", result.WwwAuthenticate);
        Assert.Null(result.Caller);
    }

    [Fact]
    public async Task Authenticate_WithTheKeysHashInsteadOfTheKey_IsUnauthorized()
    {
        var result = await AuthenticateAsync("ApiKey " + TestTokens.ApiKeySha256);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithoutCredential_IsUnauthorized()
    {
        var result = await AuthenticateAsync(null);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithBasicScheme_IsUnauthorized()
    {
        var result = await AuthenticateAsync("Basic dXNlcjpwYXNz");

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithValidUserToken_IsForbidden()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.User("alice"));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
        Assert.Equal("user tokens cannot call the service API", result.Error);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtWithScope_SucceedsAsJwtClient()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.Service("billing"));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("jwt:billing", result.Caller);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtWithoutScope_IsForbidden()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.Service("billing", scope: null));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
        Assert.Contains("notifications:send", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtWithOtherScopes_IsForbidden()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.Service("billing", scope: "notifications:read notifications:sendx"));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithScopeAmongSeveralSpaceSeparated_Succeeds()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.Service("billing", scope: "openid notifications:send profile"));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Authenticate_WithScopeInScpArray_Succeeds()
    {
        var token = TestTokens.Service("billing", scope: null, claims: new Dictionary<string, object?> { ["scp"] = new[] { "other", "notifications:send" } });

        var result = await AuthenticateAsync("Bearer " + token);

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Authenticate_WithScopeInScpString_Succeeds()
    {
        var token = TestTokens.Service("billing", scope: null, claims: new Dictionary<string, object?> { ["scp"] = "notifications:send" });

        var result = await AuthenticateAsync("Bearer " + token);

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtWithoutClientId_UsesAzpThenSub()
    {
        var withAzp = TestTokens.Service(clientId: null, claims: new Dictionary<string, object?> { ["azp"] = "orders-app", ["sub"] = "svc-1" });
        var withSub = TestTokens.Service(clientId: null, claims: new Dictionary<string, object?> { ["sub"] = "svc-1" });

        Assert.Equal("jwt:orders-app", (await AuthenticateAsync("Bearer " + withAzp)).Caller);
        Assert.Equal("jwt:svc-1", (await AuthenticateAsync("Bearer " + withSub)).Caller);
    }

    [Fact]
    public async Task Authenticate_WithExpiredServiceJwt_IsUnauthorized()
    {
        var result = await AuthenticateAsync("Bearer " + TestTokens.Service("billing", expires: DateTimeOffset.UtcNow.AddMinutes(-5)));

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
        Assert.Equal("token has expired", result.Error);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtSignedByAnotherKey_IsUnauthorized()
    {
        var payload = TestTokens.Payload(null, audience: TestTokens.ServiceAudience, expires: DateTimeOffset.UtcNow.AddMinutes(5));
        payload["client_id"] = "billing";
        payload["scope"] = "notifications:send";
        var token = TestTokens.SignHs256(payload, "some-other-secret-that-is-32-bytes-long"u8.ToArray());

        var result = await AuthenticateAsync("Bearer " + token);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithAlgNoneServiceToken_IsUnauthorized()
    {
        var payload = TestTokens.Payload(null, audience: TestTokens.ServiceAudience, expires: DateTimeOffset.UtcNow.AddMinutes(5));
        payload["client_id"] = "billing";
        payload["scope"] = "notifications:send";
        var unsigned = TestTokens.Unsigned("x").Split('.')[0] + "." + TestTokens.Sign(payload).Split('.')[1] + ".";

        var result = await AuthenticateAsync("Bearer " + unsigned);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithGarbageBearer_IsUnauthorized()
    {
        var result = await AuthenticateAsync("Bearer garbage");

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwtWhenServiceJwtsAreNotConfigured_IsUnauthorized()
    {
        var settings = TestTokens.HmacSettings(new Dictionary<string, string?> { ["NotifyPush:Auth:ServiceJwt:Audience"] = null });
        using var services = AuthTestServices.Build(settings);
        services.ValidateOnStart();
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + TestTokens.Service("billing");

        var result = await PolicyProbe.AuthorizeAsync(services, context, NotifyPushPolicies.ServiceCaller);

        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
    }
}
