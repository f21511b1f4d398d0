using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Testing;

/// <summary>
/// Mints JWTs for tests, by hand (header.payload.signature), so a test can produce any token a
/// client or attacker could: any issuer, audience, times, claims or algorithm, unsigned, or
/// HS256 signed with the RSA public key as the secret.
/// </summary>
/// <example>
/// <code>
/// var settings = TestTokens.HmacSettings();                        // configure the host with these
/// var token = TestTokens.User("alice");                            // valid HS256 user token
/// var expired = TestTokens.User("alice", expires: DateTimeOffset.UtcNow.AddMinutes(-5));
/// var rs = TestTokens.User("alice", TestTokenAlgorithm.RS256);     // host: TestTokens.PemSettings(RsaPublicKeyPem)
/// var service = TestTokens.Service("billing");                     // service audience + notifications:send
/// var custom = TestTokens.Sign(TestTokens.Payload("alice", expires: null)); // no exp claim
/// </code>
/// </example>
public static class TestTokens
{
    /// <summary>Issuer of every token unless told otherwise.</summary>
    public const string Issuer = "notifypush-test";

    /// <summary>Audience of user tokens.</summary>
    public const string Audience = "notifypush-test-users";

    /// <summary>Audience of service tokens.</summary>
    public const string ServiceAudience = "notifypush-test-services";

    /// <summary>Scope service tokens carry by default (the server's default required scope).</summary>
    public const string ServiceScope = "notifications:send";

    /// <summary>HS256 secret (44 bytes of UTF-8).</summary>
    public const string HmacSecret = "notifypush-test-hmac-secret-0123456789abcdef";

    /// <summary>A service API key; configured by <see cref="HmacSettings"/> under the name <see cref="ApiKeyName"/>.</summary>
    public const string ApiKey = "test-api-key-6c1d2f0e9b8a";

    /// <summary>Caller name of <see cref="ApiKey"/>.</summary>
    public const string ApiKeyName = "test-service";

    /// <summary>Lifetime of tokens without an explicit expiry.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Hex SHA-256 of <see cref="ApiKey"/>, as configured.</summary>
    public static string ApiKeySha256 { get; } = Sha256Hex(ApiKey);

    /// <summary>RSA 2048 key pair for RS256.</summary>
    public static RSA Rsa { get; } = RSA.Create(2048);

    /// <summary>EC P-256 key pair for ES256.</summary>
    public static ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>SPKI PEM ("PUBLIC KEY") of <see cref="Rsa"/>.</summary>
    public static string RsaPublicKeyPem { get; } = Rsa.ExportSubjectPublicKeyInfoPem();

    /// <summary>SPKI PEM ("PUBLIC KEY") of <see cref="Ec"/>.</summary>
    public static string EcPublicKeyPem { get; } = Ec.ExportSubjectPublicKeyInfoPem();

    /// <summary>A valid user token (unless the arguments say otherwise).</summary>
    /// <param name="userId">Value of <paramref name="userIdClaim"/>; null leaves the claim out.</param>
    /// <param name="expires">The <c>exp</c>; default now + <see cref="DefaultLifetime"/>.</param>
    /// <param name="notBefore">The <c>nbf</c>; default none.</param>
    /// <param name="claims">Extra claims, added last (they override the others).</param>
    public static string User(
        string? userId,
        TestTokenAlgorithm algorithm = TestTokenAlgorithm.HS256,
        string? issuer = Issuer,
        object? audience = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string userIdClaim = "sub",
        IReadOnlyDictionary<string, object?>? claims = null) =>
        Sign(Payload(userId, issuer, audience ?? Audience, expires ?? DateTimeOffset.UtcNow.Add(DefaultLifetime), notBefore, userIdClaim, claims), algorithm);

    /// <summary>A valid service token: the service audience, <c>client_id</c> and the <c>scope</c> claim.</summary>
    /// <param name="clientId">Value of <c>client_id</c>; null leaves it out.</param>
    /// <param name="scope">Value of <c>scope</c> (space-separated); null leaves it out.</param>
    public static string Service(
        string? clientId = "billing",
        string? scope = ServiceScope,
        TestTokenAlgorithm algorithm = TestTokenAlgorithm.HS256,
        string? issuer = Issuer,
        object? audience = null,
        DateTimeOffset? expires = null,
        IReadOnlyDictionary<string, object?>? claims = null)
    {
        var payload = Payload(null, issuer, audience ?? ServiceAudience, expires ?? DateTimeOffset.UtcNow.Add(DefaultLifetime), null, "sub", claims: null);
        if (clientId is not null)
        {
            payload["client_id"] = clientId;
        }

        if (scope is not null)
        {
            payload["scope"] = scope;
        }

        foreach (var (name, value) in claims ?? new Dictionary<string, object?>())
        {
            payload[name] = value;
        }

        return Sign(payload, algorithm);
    }

    /// <summary>
    /// A payload to edit and pass to <see cref="Sign"/>. Null arguments leave their claim out
    /// (so <c>expires: null</c> gives a token without <c>exp</c>), except <paramref name="audience"/>,
    /// which defaults to <see cref="Audience"/> (remove "aud" from the result to leave it out).
    /// Times are written as Unix seconds.
    /// </summary>
    public static Dictionary<string, object?> Payload(
        string? userId,
        string? issuer = Issuer,
        object? audience = null,
        DateTimeOffset? expires = null,
        DateTimeOffset? notBefore = null,
        string userIdClaim = "sub",
        IReadOnlyDictionary<string, object?>? claims = null)
    {
        var payload = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        if (issuer is not null)
        {
            payload["iss"] = issuer;
        }

        payload["aud"] = audience ?? Audience;

        if (expires is { } exp)
        {
            payload["exp"] = exp.ToUnixTimeSeconds();
        }

        if (notBefore is { } nbf)
        {
            payload["nbf"] = nbf.ToUnixTimeSeconds();
        }

        if (userId is not null)
        {
            payload[userIdClaim] = userId;
        }

        foreach (var (name, value) in claims ?? new Dictionary<string, object?>())
        {
            payload[name] = value;
        }

        return payload;
    }

    /// <summary>Signs <paramref name="payload"/> with the test key of <paramref name="algorithm"/>; <paramref name="keyId"/> goes in the header's <c>kid</c>.</summary>
    public static string Sign(IReadOnlyDictionary<string, object?> payload, TestTokenAlgorithm algorithm = TestTokenAlgorithm.HS256, string? keyId = null)
    {
        var signingInput = SigningInput(algorithm.ToString(), payload, keyId);
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signature = algorithm switch
        {
            TestTokenAlgorithm.HS256 => HMACSHA256.HashData(Encoding.UTF8.GetBytes(HmacSecret), data),
            TestTokenAlgorithm.RS256 => Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            // JWS wants r||s (IEEE P1363), which is .NET's default signature format.
            TestTokenAlgorithm.ES256 => Ec.SignData(data, HashAlgorithmName.SHA256),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>Signs <paramref name="payload"/> as RS256 with any RSA key (e.g. a rotated or unknown one).</summary>
    public static string SignRs256(IReadOnlyDictionary<string, object?> payload, RSA key, string? keyId = null)
    {
        var signingInput = SigningInput("RS256", payload, keyId);
        return signingInput + "." + Base64Url(key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>Signs <paramref name="payload"/> as HS256 with any secret bytes (e.g. a wrong key).</summary>
    public static string SignHs256(IReadOnlyDictionary<string, object?> payload, byte[] secret)
    {
        var signingInput = SigningInput("HS256", payload, keyId: null);
        return signingInput + "." + Base64Url(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)));
    }

    /// <summary>An <c>alg: none</c> token for <paramref name="userId"/>, otherwise valid, with an empty signature.</summary>
    public static string Unsigned(string userId) =>
        SigningInput("none", Payload(userId, expires: DateTimeOffset.UtcNow.Add(DefaultLifetime)), keyId: null) + ".";

    /// <summary>The algorithm-confusion attack: an HS256 token whose secret is the bytes of <see cref="RsaPublicKeyPem"/>.</summary>
    public static string Hs256SignedWithRsaPublicKey(string userId) =>
        SignHs256(Payload(userId, expires: DateTimeOffset.UtcNow.Add(DefaultLifetime)), Encoding.UTF8.GetBytes(RsaPublicKeyPem));

    /// <summary>Host settings for HS256 with <see cref="HmacSecret"/>, the test issuer and audiences, <see cref="ApiKey"/> (holding every scope), plus <paramref name="extra"/>.</summary>
    public static Dictionary<string, string?> HmacSettings(IReadOnlyDictionary<string, string?>? extra = null) =>
        Settings(new Dictionary<string, string?> { ["NotifyPush:Auth:Jwt:SigningKey"] = HmacSecret }, extra);

    /// <summary>Host settings for a PEM public key (<see cref="RsaPublicKeyPem"/> or <see cref="EcPublicKeyPem"/>), otherwise as <see cref="HmacSettings"/>.</summary>
    public static Dictionary<string, string?> PemSettings(string publicKeyPem, IReadOnlyDictionary<string, string?>? extra = null) =>
        Settings(new Dictionary<string, string?> { ["NotifyPush:Auth:Jwt:PublicKeyPem"] = publicKeyPem }, extra);

    /// <summary>The JWKS entry of an RSA public key (default <see cref="Rsa"/>).</summary>
    public static Dictionary<string, object?> RsaJsonWebKey(string keyId, bool includeAlg = true, RSA? key = null)
    {
        var parameters = (key ?? Rsa).ExportParameters(includePrivateParameters: false);
        var jwk = new Dictionary<string, object?>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = keyId,
            ["n"] = Base64Url(parameters.Modulus!),
            ["e"] = Base64Url(parameters.Exponent!),
        };
        if (includeAlg)
        {
            jwk["alg"] = "RS256";
        }

        return jwk;
    }

    /// <summary>The JWKS entry of <see cref="Ec"/>'s public key.</summary>
    public static Dictionary<string, object?> EcJsonWebKey(string keyId)
    {
        var parameters = Ec.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, object?>
        {
            ["kty"] = "EC",
            ["use"] = "sig",
            ["kid"] = keyId,
            ["crv"] = "P-256",
            ["x"] = Base64Url(parameters.Q.X!),
            ["y"] = Base64Url(parameters.Q.Y!),
            ["alg"] = "ES256",
        };
    }

    /// <summary>Lower-case hex SHA-256 of a key, as <c>NotifyPush:Auth:ApiKeys:N:Sha256</c> expects.</summary>
    public static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Base64url without padding.</summary>
    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Dictionary<string, string?> Settings(Dictionary<string, string?> keyMaterial, IReadOnlyDictionary<string, string?>? extra)
    {
        var settings = new Dictionary<string, string?>(keyMaterial, StringComparer.OrdinalIgnoreCase)
        {
            ["NotifyPush:Auth:Jwt:Issuer"] = Issuer,
            ["NotifyPush:Auth:Jwt:Audience"] = Audience,
            ["NotifyPush:Auth:ServiceJwt:Audience"] = ServiceAudience,
            ["NotifyPush:Auth:ApiKeys:0:Name"] = ApiKeyName,
            ["NotifyPush:Auth:ApiKeys:0:Sha256"] = ApiKeySha256,
        };
        for (var i = 0; i < ServiceScopes.All.Count; i++)
        {
            settings[$"NotifyPush:Auth:ApiKeys:0:Scopes:{i}"] = ServiceScopes.All[i];
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string SigningInput(string algorithm, IReadOnlyDictionary<string, object?> payload, string? keyId)
    {
        var header = new Dictionary<string, object?> { ["alg"] = algorithm, ["typ"] = "JWT" };
        if (keyId is not null)
        {
            header["kid"] = keyId;
        }

        return Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
    }
}
