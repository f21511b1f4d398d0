using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class AuthOptionsValidationTests
{
    private static string ValidationFailure(IReadOnlyDictionary<string, string?> settings, string environment = "Production")
    {
        using var services = AuthTestServices.Build(settings, environment);
        var exception = Assert.ThrowsAny<Exception>(services.ValidateOnStart);
        return exception is AggregateException aggregate
            ? string.Join(Environment.NewLine, aggregate.InnerExceptions.Select(e => e.Message))
            : exception.Message;
    }

    private static void RemoveApiKeys(Dictionary<string, string?> settings)
    {
        foreach (var key in settings.Keys.Where(k => k.StartsWith("NotifyPush:Auth:ApiKeys:", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            settings.Remove(key);
        }
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> settings, string key, string? value)
    {
        settings[key] = value;
        return settings;
    }

    [Fact]
    public void Validate_WithValidHmacSettings_Passes()
    {
        using var services = AuthTestServices.Build(TestTokens.HmacSettings());

        services.ValidateOnStart();
    }

    [Fact]
    public void Validate_OutsideDevelopmentWithoutKeyMaterial_FailsNamingTheSigningKeySetting()
    {
        var settings = With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:SigningKey", null);

        var message = ValidationFailure(settings);

        Assert.Contains("NotifyPush:Auth:Jwt:SigningKey", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutsideDevelopmentWithNoSettingsAtAll_FailsNamingKeyAudienceAndServiceCredential()
    {
        var message = ValidationFailure(new Dictionary<string, string?>(), "Staging");

        Assert.Contains("NotifyPush:Auth:Jwt:SigningKey", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Auth:Jwt:Audience", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Auth:ApiKeys", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Auth:ServiceJwt:Audience", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutsideDevelopmentWithoutServiceCredential_FailsNamingApiKeysAndServiceJwt()
    {
        var settings = TestTokens.HmacSettings();
        RemoveApiKeys(settings);
        settings.Remove("NotifyPush:Auth:ServiceJwt:Audience");

        var message = ValidationFailure(settings);

        Assert.Contains("NotifyPush:Auth:ApiKeys", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Auth:ServiceJwt:Audience", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithOnlyServiceJwtAsServiceCredential_Passes()
    {
        var settings = TestTokens.HmacSettings();
        RemoveApiKeys(settings);
        using var services = AuthTestServices.Build(settings);

        services.ValidateOnStart();
    }

    [Fact]
    public void Validate_WithHmacKeyShorterThan32Bytes_FailsNamingTheSetting()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:SigningKey", "only-31-bytes-long-secret-12345"));

        Assert.Contains("NotifyPush:Auth:Jwt:SigningKey must be at least 32 bytes", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithTwoKeySources_FailsNamingBoth()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:PublicKeyPem", TestTokens.RsaPublicKeyPem));

        Assert.Contains("exactly one", message, StringComparison.Ordinal);
        Assert.Contains("NotifyPush:Auth:Jwt:PublicKeyPem", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a pem")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public void Validate_WithUnparsablePem_FailsNamingTheSetting(string pem)
    {
        var message = ValidationFailure(TestTokens.PemSettings(pem));

        Assert.Contains("NotifyPush:Auth:Jwt:PublicKeyPem is not a PEM-encoded", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithPrivateKeyPem_FailsAskingForThePublicKey()
    {
        var message = ValidationFailure(TestTokens.PemSettings(TestTokens.Rsa.ExportPkcs8PrivateKeyPem()));

        Assert.Contains("NotifyPush:Auth:Jwt:PublicKeyPem holds a private key", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithEcPublicKeyPem_Passes()
    {
        using var services = AuthTestServices.Build(TestTokens.PemSettings(TestTokens.EcPublicKeyPem));

        services.ValidateOnStart();
    }

    [Fact]
    public void Validate_WithHttpAuthorityWhileHttpsIsRequired_FailsNamingRequireHttpsMetadata()
    {
        var settings = With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:SigningKey", null);
        settings["NotifyPush:Auth:Jwt:Authority"] = "http://idp.example.com";

        var message = ValidationFailure(settings);

        Assert.Contains("NotifyPush:Auth:Jwt:RequireHttpsMetadata", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithAuthorityAndNoIssuer_Passes()
    {
        var settings = With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:SigningKey", null);
        settings["NotifyPush:Auth:Jwt:Authority"] = "https://idp.example.com";
        settings.Remove("NotifyPush:Auth:Jwt:Issuer");
        using var services = AuthTestServices.Build(settings);

        services.ValidateOnStart();
    }

    [Fact]
    public void Validate_WithoutIssuerOrAuthority_FailsNamingIssuer()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:Issuer", null));

        Assert.Contains("NotifyPush:Auth:Jwt:Issuer", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithServiceAudienceEqualToUserAudience_FailsNamingTheSetting()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:ServiceJwt:Audience", TestTokens.Audience));

        Assert.Contains("NotifyPush:Auth:ServiceJwt:Audience must differ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithDuplicateApiKeyNames_Fails()
    {
        var settings = TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:ApiKeys:1:Name"] = TestTokens.ApiKeyName.ToUpperInvariant(),
            ["NotifyPush:Auth:ApiKeys:1:Sha256"] = TestTokens.Sha256Hex("another-key"),
        });

        var message = ValidationFailure(settings);

        Assert.Contains("NotifyPush:Auth:ApiKeys:1:Name", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("notifications:write")]
    [InlineData("Admin")]
    [InlineData("")]
    public void Validate_WithUnknownApiKeyScope_FailsNamingTheSetting(string scope)
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:ApiKeys:0:Scopes:2", scope));

        Assert.Contains("NotifyPush:Auth:ApiKeys:0:Scopes:2", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("zz6f5f0e3c1b1b9e0e4a6b6b1c5e7f7f0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00")]
    public void Validate_WithInvalidApiKeyHash_FailsNamingSha256(string hash)
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:ApiKeys:0:Sha256", hash));

        Assert.Contains("Sha256", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithApiKeyNameContainingAColon_Fails()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:ApiKeys:0:Name", "jwt:billing"));

        Assert.Contains("Name", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/path")]
    [InlineData("*")]
    [InlineData("https://*.example.com")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    public void Validate_WithAllowedOriginThatIsNotAnExactOrigin_FailsNamingIt(string origin)
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:AllowedOrigins:0", origin));

        Assert.Contains("NotifyPush:Auth:AllowedOrigins:0", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithClockSkewOutOfRange_Fails()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:Jwt:ClockSkewSeconds", "-1"));

        Assert.Contains("NotifyPush:Auth:Jwt:ClockSkewSeconds must be between 0 and 600", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithDevTokenLifetimeOutOfRange_FailsNamingTheSetting()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:DevTokenLifetimeSeconds", "0"));

        Assert.Contains("NotifyPush:Auth:DevTokenLifetimeSeconds must be between 1 and 86400", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WithCookieNameContainingASpace_FailsNamingTheSetting()
    {
        var message = ValidationFailure(With(TestTokens.HmacSettings(), "NotifyPush:Auth:CookieName", "my cookie"));

        Assert.Contains("NotifyPush:Auth:CookieName", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_WithNothingConfigured_FallsBackToDevelopmentKeyAndApiKeyAndWarns()
    {
        var logs = new FakeLogCollector();
        using var services = AuthTestServices.Build(new Dictionary<string, string?>(), Environments.Development, logs);

        services.ValidateOnStart();

        var jwt = services.GetRequiredService<IOptions<JwtOptions>>().Value;
        var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
        Assert.Equal(DevelopmentCredentials.SigningKey, jwt.SigningKey);
        Assert.Equal("notifypush-dev", jwt.Issuer);
        Assert.Equal("notifypush", jwt.Audience);
        var apiKey = Assert.Single(auth.ApiKeys);
        Assert.Equal("dev", apiKey.Name);
        Assert.Equal(TestTokens.Sha256Hex("dev-api-key"), apiKey.Sha256);
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == NotifyPushEventIds.AuthDevelopmentSigningKey && l.Level == LogLevel.Warning);
        Assert.Contains(logs.GetSnapshot(), l => l.Id.Id == NotifyPushEventIds.AuthDevelopmentApiKey && l.Level == LogLevel.Warning);

        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "ApiKey dev-api-key";
        var caller = await PolicyProbe.AuthorizeAsync(services, context, NotifyPushPolicies.ServiceCaller);
        Assert.Equal("dev", caller.Caller);

        // The Development key holds every scope.
        Assert.Equal(ServiceScopes.All, apiKey.Scopes);
        foreach (var scope in ServiceScopes.All)
        {
            var scoped = new DefaultHttpContext();
            scoped.Request.Headers.Authorization = "ApiKey dev-api-key";
            Assert.True((await PolicyProbe.AuthorizeAsync(services, scoped, NotifyPushPolicies.Scope(scope))).Succeeded, scope);
        }

        var devToken = services.GetRequiredService<DevTokenIssuer>().Issue("alice");
        var validation = await services.GetRequiredService<IUserTokenValidator>().ValidateAsync(devToken.Token, CancellationToken.None).WithTimeout();
        Assert.True(validation.Succeeded, validation.Error);
        Assert.Equal("alice", validation.UserId);
    }

    [Fact]
    public void Development_WithConfiguredCredentials_KeepsThemAndDoesNotWarn()
    {
        var logs = new FakeLogCollector();
        using var services = AuthTestServices.Build(TestTokens.HmacSettings(), Environments.Development, logs);

        services.ValidateOnStart();

        Assert.Equal(TestTokens.HmacSecret, services.GetRequiredService<IOptions<JwtOptions>>().Value.SigningKey);
        Assert.Equal(TestTokens.ApiKeyName, Assert.Single(services.GetRequiredService<IOptions<AuthOptions>>().Value.ApiKeys).Name);
        Assert.DoesNotContain(logs.GetSnapshot(), l => l.Id.Id is NotifyPushEventIds.AuthDevelopmentSigningKey or NotifyPushEventIds.AuthDevelopmentApiKey);
    }

    [Fact]
    public void Production_DevTokenIssuer_CannotIssue()
    {
        using var services = AuthTestServices.Build(TestTokens.HmacSettings());
        var issuer = services.GetRequiredService<DevTokenIssuer>();

        Assert.False(issuer.CanIssue);
        Assert.Throws<InvalidOperationException>(() => issuer.Issue("alice"));
    }

    [Fact]
    public void EnvironmentVariables_SetEverySettingIncludingArrays()
    {
        var prefix = "NPTEST_" + Guid.NewGuid().ToString("N") + "_";
        var variables = new Dictionary<string, string>
        {
            ["NotifyPush__Auth__Jwt__SigningKey"] = TestTokens.HmacSecret,
            ["NotifyPush__Auth__Jwt__Issuer"] = "env-issuer",
            ["NotifyPush__Auth__Jwt__Audience"] = "env-audience",
            ["NotifyPush__Auth__Jwt__ClockSkewSeconds"] = "5",
            ["NotifyPush__Auth__Jwt__UserIdClaim"] = "uid",
            ["NotifyPush__Auth__CookieName"] = "env_cookie",
            ["NotifyPush__Auth__AllowedOrigins__0"] = "https://a.example.com",
            ["NotifyPush__Auth__AllowedOrigins__1"] = "https://b.example.com",
            ["NotifyPush__Auth__ApiKeys__0__Name"] = "billing",
            ["NotifyPush__Auth__ApiKeys__0__Sha256"] = TestTokens.Sha256Hex("billing-key"),
            ["NotifyPush__Auth__ServiceJwt__Audience"] = "env-services",
            ["NotifyPush__Auth__ServiceJwt__Scope"] = "push",
            ["NotifyPush__Auth__DevTokenLifetimeSeconds"] = "60",
        };
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(prefix + name, value);
            }

            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            var settings = configuration.AsEnumerable().ToDictionary(p => p.Key, p => p.Value);
            using var services = AuthTestServices.Build(settings);
            services.ValidateOnStart();

            var jwt = services.GetRequiredService<IOptions<JwtOptions>>().Value;
            var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;
            Assert.Equal(("env-issuer", "env-audience", 5, "uid"), (jwt.Issuer, jwt.Audience, jwt.ClockSkewSeconds, jwt.UserIdClaim));
            Assert.Equal(TestTokens.HmacSecret, jwt.SigningKey);
            Assert.Equal("env_cookie", auth.CookieName);
            Assert.Equal(["https://a.example.com", "https://b.example.com"], auth.AllowedOrigins);
            Assert.Equal("billing", Assert.Single(auth.ApiKeys).Name);
            Assert.Equal(("env-services", "push"), (auth.ServiceJwt.Audience, auth.ServiceJwt.Scope));
            Assert.Equal(60, auth.DevTokenLifetimeSeconds);
        }
        finally
        {
            foreach (var name in variables.Keys)
            {
                Environment.SetEnvironmentVariable(prefix + name, null);
            }
        }
    }

    [Fact]
    public async Task HostStart_OutsideDevelopmentWithoutKeyMaterial_FailsNamingTheSetting()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseTestServer();
        builder.Configuration.Sources.Clear();
        builder.Services.AddInMemoryTokenRevocations();
        builder.Services.AddNotifyPushAuthentication(builder.Configuration, builder.Environment);
        await using var app = builder.Build();

        var exception = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync().WithTimeout());

        Assert.Contains("NotifyPush:Auth:Jwt:SigningKey", exception.ToString(), StringComparison.Ordinal);
    }
}
