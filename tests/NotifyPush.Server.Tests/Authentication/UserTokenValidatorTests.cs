using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Connections;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class UserTokenValidatorTests
{
    private static async Task<UserTokenValidation> ValidateAsync(string token, IReadOnlyDictionary<string, string?>? settings = null)
    {
        using var services = AuthTestServices.Build(settings ?? TestTokens.HmacSettings());
        services.ValidateOnStart();
        return await services.GetRequiredService<IUserTokenValidator>().ValidateAsync(token, CancellationToken.None).WithTimeout();
    }

    private static async Task AssertRejectedAsync(string token, string expectedError, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var result = await ValidateAsync(token, settings);
        Assert.False(result.Succeeded);
        Assert.Null(result.UserId);
        Assert.Equal(expectedError, result.Error);
        if (token.Trim().Length > 0)
        {
            Assert.DoesNotContain(token, result.Error!, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Validate_WithValidHs256Token_ReturnsUserIdAndTheDeadlineOfExpiryPlusClockSkew()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        var result = await ValidateAsync(TestTokens.User("alice", expires: expires));

        // The token is accepted until exp + ClockSkewSeconds (default 30), so that is when its socket must close.
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
        Assert.Equal(expires.ToUnixTimeSeconds() + 30, result.ExpiresAt!.Value.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Validate_WithMissingToken_Fails(string token) =>
        await AssertRejectedAsync(token, "token is missing");

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.c2ln.ZXh0cmE.bW9yZQ")]
    public async Task Validate_WithMalformedToken_Fails(string token) =>
        await AssertRejectedAsync(token, "token is malformed");

    [Fact]
    public async Task Validate_WithExpiredToken_Fails() =>
        await AssertRejectedAsync(TestTokens.User("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-5)), "token has expired");

    [Fact]
    public async Task Validate_WithTokenExpiredWithinClockSkew_Succeeds()
    {
        var result = await ValidateAsync(TestTokens.User("alice", expires: DateTimeOffset.UtcNow.AddSeconds(-10)));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Validate_WithTokenExpiredBeyondConfiguredClockSkew_Fails() =>
        await AssertRejectedAsync(
            TestTokens.User("alice", expires: DateTimeOffset.UtcNow.AddSeconds(-10)),
            "token has expired",
            TestTokens.HmacSettings(new Dictionary<string, string?> { ["NotifyPush:Auth:Jwt:ClockSkewSeconds"] = "0" }));

    [Fact]
    public async Task Validate_WithNotYetValidToken_Fails() =>
        await AssertRejectedAsync(
            TestTokens.User("alice", notBefore: DateTimeOffset.UtcNow.AddMinutes(5), expires: DateTimeOffset.UtcNow.AddMinutes(10)),
            "token is not yet valid");

    [Fact]
    public async Task Validate_WithTokenWithoutExpiry_Fails() =>
        await AssertRejectedAsync(TestTokens.Sign(TestTokens.Payload("alice", expires: null)), "token has no expiry");

    [Fact]
    public async Task Validate_WithTokenSignedByAnotherSecret_Fails() =>
        await AssertRejectedAsync(
            TestTokens.SignHs256(TestTokens.Payload("alice", expires: DateTimeOffset.UtcNow.AddMinutes(5)), Encoding.UTF8.GetBytes("another-secret-that-is-long-enough-0123456789")),
            "token signature is invalid");

    [Fact]
    public async Task Validate_WithTamperedPayload_Fails()
    {
        var token = TestTokens.User("alice");
        var parts = token.Split('.');
        var forged = TestTokens.User("mallory").Split('.')[1];

        await AssertRejectedAsync(parts[0] + "." + forged + "." + parts[2], "token signature is invalid");
    }

    [Fact]
    public async Task Validate_WithWrongIssuer_Fails() =>
        await AssertRejectedAsync(TestTokens.User("alice", issuer: "someone-else"), "token issuer is not accepted");

    [Fact]
    public async Task Validate_WithWrongAudience_Fails() =>
        await AssertRejectedAsync(TestTokens.User("alice", audience: "another-app"), "token audience is not accepted");

    [Fact]
    public async Task Validate_WithAudienceArrayContainingTheUserAudience_Succeeds()
    {
        var result = await ValidateAsync(TestTokens.User("alice", audience: new[] { "another-app", TestTokens.Audience }));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Validate_WithAlgNone_Fails() =>
        await AssertRejectedAsync(TestTokens.Unsigned("alice"), "token is not signed");

    [Fact]
    public async Task Validate_WithHs256TokenSignedWithThePublicKey_FailsWhenTheServerHasAnRsaKey()
    {
        var result = await ValidateAsync(TestTokens.Hs256SignedWithRsaPublicKey("alice"), TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));

        Assert.False(result.Succeeded);
        Assert.Equal("token signing algorithm is not accepted", result.Error);
    }

    [Fact]
    public async Task Validate_WithRs256TokenAndRsaPublicKeyPem_Succeeds()
    {
        var result = await ValidateAsync(TestTokens.User("alice", TestTokenAlgorithm.RS256), TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
    }

    [Fact]
    public async Task Validate_WithEs256TokenAndEcPublicKeyPem_Succeeds()
    {
        var result = await ValidateAsync(TestTokens.User("alice", TestTokenAlgorithm.ES256), TestTokens.PemSettings(TestTokens.EcPublicKeyPem));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
    }

    [Fact]
    public async Task Validate_WithHs256TokenWhenTheServerHasAnRsaKey_Fails()
    {
        var result = await ValidateAsync(TestTokens.User("alice"), TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));

        Assert.False(result.Succeeded);
        Assert.Equal("token signing algorithm is not accepted", result.Error);
    }

    [Fact]
    public async Task Validate_WithRs256TokenWhenTheServerHasAnHmacKey_Fails()
    {
        var result = await ValidateAsync(TestTokens.User("alice", TestTokenAlgorithm.RS256));

        Assert.False(result.Succeeded);
        Assert.Equal("token signing algorithm is not accepted", result.Error);
    }

    [Fact]
    public async Task Validate_WithEs256TokenWhenTheServerHasAnRsaKey_Fails()
    {
        var result = await ValidateAsync(TestTokens.User("alice", TestTokenAlgorithm.ES256), TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));

        Assert.False(result.Succeeded);
        Assert.Equal("token signing algorithm is not accepted", result.Error);
    }

    [Fact]
    public async Task Validate_WithRs256TokenSignedByAnotherRsaKey_Fails()
    {
        using var other = System.Security.Cryptography.RSA.Create(2048);
        var settings = TestTokens.PemSettings(other.ExportSubjectPublicKeyInfoPem());

        var result = await ValidateAsync(TestTokens.User("alice", TestTokenAlgorithm.RS256), settings);

        Assert.False(result.Succeeded);
        Assert.Equal("token signature is invalid", result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Validate_WithEmptyUserClaim_Fails(string userId) =>
        await AssertRejectedAsync(TestTokens.User(userId), "token has an empty 'sub' claim");

    [Fact]
    public async Task Validate_WithoutUserClaim_Fails() =>
        await AssertRejectedAsync(TestTokens.User(null), "token has no 'sub' claim");

    [Fact]
    public async Task Validate_WithCustomUserIdClaim_ReadsThatClaim()
    {
        var settings = TestTokens.HmacSettings(new Dictionary<string, string?> { ["NotifyPush:Auth:Jwt:UserIdClaim"] = "uid" });
        var token = TestTokens.User("alice", userIdClaim: "uid", claims: new Dictionary<string, object?> { ["sub"] = "not-the-user-id" });

        var result = await ValidateAsync(token, settings);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
    }

    [Fact]
    public async Task Validate_WithCustomUserIdClaimMissing_Fails() =>
        await AssertRejectedAsync(
            TestTokens.User("alice"),
            "token has no 'uid' claim",
            TestTokens.HmacSettings(new Dictionary<string, string?> { ["NotifyPush:Auth:Jwt:UserIdClaim"] = "uid" }));

    [Fact]
    public async Task Validate_KeepsSubUnderItsOwnNameRatherThanMappingIt()
    {
        // The inbound claim map would rename "sub" to ClaimTypes.NameIdentifier and lose it.
        var result = await ValidateAsync(TestTokens.User("alice"));

        Assert.Equal("alice", result.UserId);
    }

    [Fact]
    public async Task Validate_WithServiceToken_Fails() =>
        await AssertRejectedAsync(TestTokens.Service("billing"), "token audience is not accepted");

    [Fact]
    public async Task Validate_WithTokenForBothUserAndServiceAudiences_Fails() =>
        await AssertRejectedAsync(
            TestTokens.User("alice", audience: new[] { TestTokens.Audience, TestTokens.ServiceAudience }),
            "service tokens cannot be used as user tokens");

    [Fact]
    public async Task Validate_WithEncryptedTokenShape_FailsWithoutDecrypting() =>
        await AssertRejectedAsync("eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aXY.Y2lwaGVy.dGFn", "token is malformed");

    [Fact]
    public async Task Validate_WithACriticalHeaderParameter_FailsBecauseNoExtensionIsUnderstood()
    {
        // RFC 7515 §4.1.11: a correctly signed token whose header lists an extension in "crit" must be refused.
        var header = TestTokens.Base64Url("""{"alg":"HS256","typ":"JWT","crit":["x-bound"],"x-bound":true}"""u8.ToArray());
        var payload = TestTokens.Base64Url(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(TestTokens.Payload("alice", expires: DateTimeOffset.UtcNow.AddMinutes(5))));
        var signature = TestTokens.Base64Url(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(TestTokens.HmacSecret), Encoding.ASCII.GetBytes(header + "." + payload)));
        var withoutCrit = TestTokens.User("alice");

        await AssertRejectedAsync($"{header}.{payload}.{signature}", "token has critical header parameters that are not supported");
        Assert.True((await ValidateAsync(withoutCrit)).Succeeded);
    }
}
