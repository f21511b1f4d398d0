using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

public sealed class SocketAuthenticationTests : IDisposable
{
    private const string AllowedOrigin = "https://app.example.com";

    private readonly ServiceProvider _services;

    public SocketAuthenticationTests()
    {
        _services = AuthTestServices.Build(TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:AllowedOrigins:0"] = AllowedOrigin,
            ["NotifyPush:Auth:AllowedOrigins:1"] = "http://localhost:5173",
        }));
        _services.ValidateOnStart();
    }

    public void Dispose() => _services.Dispose();

    private static DefaultHttpContext Request(string? bearer = null, string? query = null, string? cookie = null, string? origin = null, string? authorization = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/ws";
        if (bearer is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + bearer;
        }

        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        if (query is not null)
        {
            context.Request.QueryString = QueryString.Create("access_token", query);
        }

        if (cookie is not null)
        {
            context.Request.Headers.Cookie = "theme=dark; __Host-notifypush_token=" + cookie;
        }

        if (origin is not null)
        {
            context.Request.Headers.Origin = origin;
        }

        return context;
    }

    private Task<AuthOutcome> AuthenticateAsync(HttpContext context) => AuthenticateAsync(_services, context);

    private static Task<AuthOutcome> AuthenticateAsync(IServiceProvider services, HttpContext context) =>
        PolicyProbe.AuthorizeAsync(services, context, NotifyPushPolicies.SocketUser);

    private static void AssertUnauthorized(AuthOutcome result)
    {
        Assert.Equal(StatusCodes.Status401Unauthorized, result.StatusCode);
        Assert.Equal("Bearer", result.WwwAuthenticate);
        Assert.Null(result.UserId);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }

    [Fact]
    public async Task Authenticate_WithValidBearerHeader_SucceedsWithTheUserId()
    {
        var result = await AuthenticateAsync(Request(bearer: TestTokens.User("alice")));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("alice", result.UserId);
        Assert.Equal(CredentialSource.AuthorizationHeader, result.Source);
        Assert.NotNull(result.ExpiresAt);
    }

    [Fact]
    public async Task Authenticate_WithValidQueryToken_SucceedsWithTheUserId()
    {
        var result = await AuthenticateAsync(Request(query: TestTokens.User("bob")));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("bob", result.UserId);
        Assert.Equal(CredentialSource.QueryString, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithValidCookieAndAllowedOrigin_Succeeds()
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol"), origin: AllowedOrigin));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("carol", result.UserId);
        Assert.Equal(CredentialSource.Cookie, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithCookieAndSecondAllowedOrigin_Succeeds()
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol"), origin: "http://localhost:5173"));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Authenticate_WithCookieAndForeignOrigin_IsForbidden()
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol"), origin: "https://evil.example.net"));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
        Assert.Null(result.UserId);
        Assert.Equal(CredentialSource.Cookie, result.Source);
    }

    [Theory]
    [InlineData("https://app.example.com.evil.net")]
    [InlineData("https://app.example.com:8443")]
    [InlineData("http://app.example.com")]
    [InlineData("null")]
    public async Task Authenticate_WithCookieAndOriginThatOnlyLooksAllowed_IsForbidden(string origin)
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol"), origin: origin));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithCookieAndNoOrigin_IsForbidden()
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol")));

        Assert.Equal(StatusCodes.Status403Forbidden, result.StatusCode);
        Assert.Equal(CredentialSource.Cookie, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithInvalidCookie_IsUnauthorized()
    {
        var result = await AuthenticateAsync(Request(cookie: TestTokens.User("carol", expires: DateTimeOffset.UtcNow.AddHours(-1)), origin: AllowedOrigin));

        AssertUnauthorized(result);
        Assert.Equal("token has expired", result.Error);
    }

    [Fact]
    public async Task Authenticate_WithHeaderTokenAndNoOrigin_DoesNotNeedAnOrigin()
    {
        var result = await AuthenticateAsync(Request(bearer: TestTokens.User("alice"), origin: "https://evil.example.net"));

        Assert.True(result.Succeeded, result.Error);
    }

    [Fact]
    public async Task Authenticate_WithHeaderAndQueryAndCookie_UsesTheHeader()
    {
        var result = await AuthenticateAsync(Request(bearer: TestTokens.User("from-header"), query: TestTokens.User("from-query"), cookie: TestTokens.User("from-cookie")));

        Assert.Equal("from-header", result.UserId);
        Assert.Equal(CredentialSource.AuthorizationHeader, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithQueryAndCookie_UsesTheQuery()
    {
        var result = await AuthenticateAsync(Request(query: TestTokens.User("from-query"), cookie: TestTokens.User("from-cookie")));

        Assert.Equal("from-query", result.UserId);
        Assert.Equal(CredentialSource.QueryString, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithInvalidHeaderAndValidCookie_DoesNotFallBackToTheCookie()
    {
        var result = await AuthenticateAsync(Request(bearer: "garbage", cookie: TestTokens.User("carol"), origin: AllowedOrigin));

        AssertUnauthorized(result);
        Assert.Equal(CredentialSource.AuthorizationHeader, result.Source);
    }

    [Fact]
    public async Task Authenticate_WithNoCredential_IsUnauthorized()
    {
        var result = await AuthenticateAsync(Request());

        AssertUnauthorized(result);
        Assert.Equal(CredentialSource.None, result.Source);
    }

    public static TheoryData<string, string> InvalidTokens() => new()
    {
        { "expired", TestTokens.User("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-5)) },
        { "not yet valid", TestTokens.User("alice", notBefore: DateTimeOffset.UtcNow.AddMinutes(5), expires: DateTimeOffset.UtcNow.AddMinutes(10)) },
        { "wrong signature", TestTokens.SignHs256(TestTokens.Payload("alice", expires: DateTimeOffset.UtcNow.AddMinutes(5)), "a-different-secret-of-at-least-32-bytes!!"u8.ToArray()) },
        { "wrong issuer", TestTokens.User("alice", issuer: "someone-else") },
        { "wrong audience", TestTokens.User("alice", audience: "another-app") },
        { "alg none", TestTokens.Unsigned("alice") },
        { "HS256 signed with the RSA public key", TestTokens.Hs256SignedWithRsaPublicKey("alice") },
        { "RS256 with an unknown key", TestTokens.User("alice", TestTokenAlgorithm.RS256) },
        { "empty user claim", TestTokens.User("") },
        { "no user claim", TestTokens.User(null) },
        { "no expiry", TestTokens.Sign(TestTokens.Payload("alice", expires: null)) },
        { "service token", TestTokens.Service("billing") },
        { "malformed", "not.a.jwt" },
    };

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task Authenticate_WithInvalidBearerToken_IsUnauthorizedWithoutEchoingTheToken(string why, string token)
    {
        var result = await AuthenticateAsync(Request(bearer: token));

        AssertUnauthorized(result);
        Assert.DoesNotContain(token, result.Error!, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task Authenticate_WithInvalidQueryToken_IsUnauthorized(string why, string token)
    {
        var result = await AuthenticateAsync(Request(query: token));

        AssertUnauthorized(result);
        Assert.Equal(CredentialSource.QueryString, result.Source);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public async Task Authenticate_WithServiceApiKey_IsUnauthorized()
    {
        var result = await AuthenticateAsync(Request(authorization: "ApiKey " + TestTokens.ApiKey));

        AssertUnauthorized(result);
        Assert.Equal("service credentials cannot open a socket", result.Error);
    }

    [Fact]
    public async Task Authenticate_WithServiceJwt_IsUnauthorized()
    {
        var result = await AuthenticateAsync(Request(bearer: TestTokens.Service("billing")));

        AssertUnauthorized(result);
    }

    [Fact]
    public async Task Authenticate_WithTwoQueryTokens_IsUnauthorized()
    {
        var context = Request();
        context.Request.QueryString = new QueryString("?access_token=" + TestTokens.User("alice") + "&access_token=" + TestTokens.User("bob"));

        var result = await AuthenticateAsync(context);

        AssertUnauthorized(result);
    }

    [Fact]
    public async Task Authenticate_ByDefault_ReadsTheHostPrefixedCookie_AndNotTheOldUnprefixedName()
    {
        // __Host-: browsers keep it only when set with Secure, Path=/ and no Domain, so no sibling subdomain can plant it.
        var context = Request(origin: AllowedOrigin);
        context.Request.Headers.Cookie = "__Host-notifypush_token=" + TestTokens.User("erin");
        var old = Request(origin: AllowedOrigin);
        old.Request.Headers.Cookie = "notifypush_token=" + TestTokens.User("mallory");

        var result = await AuthenticateAsync(context);
        var oldResult = await AuthenticateAsync(old);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("erin", result.UserId);
        Assert.Equal(CredentialSource.Cookie, result.Source);
        Assert.False(oldResult.Succeeded);
        Assert.Equal("__Host-notifypush_token", new AuthOptions().CookieName);
    }

    [Fact]
    public async Task Authenticate_WithCookieNameSetToTheOldName_KeepsReadingIt()
    {
        using var services = AuthTestServices.Build(TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:CookieName"] = "notifypush_token",
            ["NotifyPush:Auth:AllowedOrigins:0"] = AllowedOrigin,
        }));
        var context = Request(origin: AllowedOrigin);
        context.Request.Headers.Cookie = "notifypush_token=" + TestTokens.User("frank");

        var result = await AuthenticateAsync(services, context);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("frank", result.UserId);
    }

    [Fact]
    public async Task Authenticate_WithCustomCookieName_ReadsThatCookie()
    {
        using var services = AuthTestServices.Build(TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:CookieName"] = "session_jwt",
            ["NotifyPush:Auth:AllowedOrigins:0"] = AllowedOrigin,
        }));
        var context = Request(origin: AllowedOrigin);
        context.Request.Headers.Cookie = "__Host-notifypush_token=ignored; session_jwt=" + TestTokens.User("dave");

        var result = await AuthenticateAsync(services, context);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("dave", result.UserId);
    }

    [Fact]
    public async Task Authenticate_WithRs256PemKey_AcceptsRs256AndRefusesHs256SignedWithThePublicKey()
    {
        using var services = AuthTestServices.Build(TestTokens.PemSettings(TestTokens.RsaPublicKeyPem));
        services.ValidateOnStart();

        var valid = await AuthenticateAsync(services, Request(bearer: TestTokens.User("alice", TestTokenAlgorithm.RS256)));
        var confused = await AuthenticateAsync(services, Request(bearer: TestTokens.Hs256SignedWithRsaPublicKey("alice")));

        Assert.True(valid.Succeeded, valid.Error);
        Assert.Equal("alice", valid.UserId);
        Assert.Equal(StatusCodes.Status401Unauthorized, confused.StatusCode);
    }

    [Fact]
    public async Task Authenticate_WithEs256PemKey_AcceptsEs256()
    {
        using var services = AuthTestServices.Build(TestTokens.PemSettings(TestTokens.EcPublicKeyPem));
        services.ValidateOnStart();

        var result = await AuthenticateAsync(services, Request(query: TestTokens.User("erin", TestTokenAlgorithm.ES256)));

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("erin", result.UserId);
    }
}
