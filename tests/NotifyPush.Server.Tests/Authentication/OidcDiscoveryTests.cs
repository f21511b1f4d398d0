using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class OidcDiscoveryTests : IAsyncLifetime
{
    private OidcTestAuthority _authority = null!;

    public async Task InitializeAsync()
    {
        _authority = await OidcTestAuthority.StartAsync();
        _authority.Keys["rsa-1"] = TestTokens.RsaJsonWebKey("rsa-1");
        _authority.Keys["ec-1"] = TestTokens.EcJsonWebKey("ec-1");
    }

    public async Task DisposeAsync() => await _authority.DisposeAsync();

    private Dictionary<string, object?> Payload(string? userId, string? issuer = null) =>
        TestTokens.Payload(userId, issuer: issuer ?? _authority.Authority, expires: DateTimeOffset.UtcNow.AddMinutes(5));

    private static Task<UserTokenValidation> ValidateAsync(ServiceProvider services, string token) =>
        services.GetRequiredService<IUserTokenValidator>().ValidateAsync(token, CancellationToken.None).WithTimeout();

    [Fact]
    public async Task Validate_WithRs256TokenFromTheAuthority_SucceedsUsingTheDiscoveredKeyAndIssuer()
    {
        using var services = AuthTestServices.Build(_authority.Settings());
        services.ValidateOnStart();

        var result = await ValidateAsync(services, TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
    }

    [Fact]
    public async Task Validate_WithEs256TokenFromTheAuthority_Succeeds()
    {
        using var services = AuthTestServices.Build(_authority.Settings());

        var result = await ValidateAsync(services, TestTokens.Sign(Payload("erin"), TestTokenAlgorithm.ES256, keyId: "ec-1"));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("erin", result.UserId);
    }

    [Fact]
    public async Task Validate_WithRsaKeyWithoutAlgInTheJwks_AcceptsRs256()
    {
        _authority.Keys["rsa-1"] = TestTokens.RsaJsonWebKey("rsa-1", includeAlg: false);
        using var services = AuthTestServices.Build(_authority.Settings());

        var result = await ValidateAsync(services, TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Validate_WithHs256Token_IsRefusedBecauseDiscoveryOnlyAllowsAsymmetricAlgorithms()
    {
        using var services = AuthTestServices.Build(_authority.Settings());

        var hmac = await ValidateAsync(services, TestTokens.SignHs256(Payload("alice"), TestTokens.HmacSecret.Select(c => (byte)c).ToArray()));
        var confused = await ValidateAsync(services, TestTokens.SignHs256(Payload("alice"), System.Text.Encoding.UTF8.GetBytes(TestTokens.RsaPublicKeyPem)));

        Assert.Equal("token signing algorithm is not accepted", hmac.Error);
        Assert.Equal("token signing algorithm is not accepted", confused.Error);
    }

    [Fact]
    public async Task Validate_WithTokenFromAnotherIssuer_Fails()
    {
        using var services = AuthTestServices.Build(_authority.Settings());

        var result = await ValidateAsync(services, TestTokens.Sign(Payload("alice", issuer: "https://other-idp.example.com"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));

        Assert.Equal("token issuer is not accepted", result.Error);
    }

    [Fact]
    public async Task Validate_WithConfiguredIssuer_UsesItInsteadOfTheDiscoveredOne()
    {
        var settings = _authority.Settings();
        settings["NotifyPush:Auth:Jwt:Issuer"] = "https://configured-issuer.example.com";
        using var services = AuthTestServices.Build(settings);

        var discovered = await ValidateAsync(services, TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));
        var configured = await ValidateAsync(services, TestTokens.Sign(Payload("alice", issuer: "https://configured-issuer.example.com"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));

        Assert.False(discovered.Succeeded);
        Assert.True(configured.Succeeded, configured.Error);
    }

    [Fact]
    public async Task Validate_WithTokenSignedByAKeyTheAuthorityDoesNotPublish_Fails()
    {
        using var services = AuthTestServices.Build(_authority.Settings());
        using var unknown = RSA.Create(2048);

        var result = await ValidateAsync(services, TestTokens.SignRs256(Payload("alice"), unknown, keyId: "rsa-1"));

        Assert.Equal("token signature is invalid", result.Error);
    }

    [Fact]
    public async Task Validate_AfterTheAuthorityRotatesItsKey_RefetchesTheJwksAndSucceeds()
    {
        var settings = _authority.Settings();
        settings["NotifyPush:Auth:Jwt:MetadataRefreshSeconds"] = "1";
        using var services = AuthTestServices.Build(settings);
        var first = await ValidateAsync(services, TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));
        Assert.True(first.Succeeded, first.Error);
        var fetchesBeforeRotation = _authority.JwksRequests;

        using var rotated = RSA.Create(2048);
        _authority.Keys["rsa-2"] = TestTokens.RsaJsonWebKey("rsa-2", key: rotated);
        var token = TestTokens.SignRs256(Payload("alice"), rotated, keyId: "rsa-2");

        // A forced refresh is allowed once per MetadataRefreshSeconds after the last fetch, so the
        // first attempts inside that second may still see the old key set: poll until it is seen.
        var afterRotation = await Poll.UntilAsync(
            () => ValidateAsync(services, token), result => result.Succeeded, "a token of the rotated key is accepted", TimeSpan.FromSeconds(10), result => result.Error ?? "");

        Assert.True(afterRotation.Succeeded, afterRotation.Error);
        Assert.True(_authority.JwksRequests > fetchesBeforeRotation);
    }

    [Fact]
    public async Task Validate_WithUnknownKeyId_RefetchesAtMostOncePerRefreshInterval()
    {
        using var services = AuthTestServices.Build(_authority.Settings());
        await ValidateAsync(services, TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1"));
        var fetches = _authority.JwksRequests;
        using var unknown = RSA.Create(2048);

        for (var i = 0; i < 5; i++)
        {
            await ValidateAsync(services, TestTokens.SignRs256(Payload("alice"), unknown, keyId: "rsa-unknown-" + i));
        }

        Assert.True(_authority.JwksRequests - fetches <= 1);
    }

    [Fact]
    public async Task Validate_WhenDiscoveryFails_RefusesTokensAndLogsTheOutageOnce()
    {
        var logs = new FakeLogCollector();
        using var services = AuthTestServices.Build(_authority.Settings(_authority.Authority + "/no-such-tenant"), logs: logs);
        services.ValidateOnStart();
        var token = TestTokens.Sign(Payload("alice"), TestTokenAlgorithm.RS256, keyId: "rsa-1");

        var first = await ValidateAsync(services, token);
        var second = await ValidateAsync(services, token);

        Assert.Equal("token signing keys are unavailable", first.Error);
        Assert.Equal("token signing keys are unavailable", second.Error);
        Assert.Single(logs.GetSnapshot(), l => l.Id.Id == NotifyPushEventIds.AuthSigningKeysUnavailable);
        Assert.DoesNotContain(logs.GetSnapshot().SelectMany(l => l.AllText()), text => text.Contains(token, StringComparison.Ordinal));
    }
}
