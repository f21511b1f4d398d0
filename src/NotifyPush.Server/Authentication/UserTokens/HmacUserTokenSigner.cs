using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Signs user tokens with the configured HS256 <c>SigningKey</c>, shaped as the socket expects them (issuer,
/// audience, the user id claim, iat, nbf, exp). Used by Development's <c>/dev/token</c> and by the start-up warm-up's
/// own sockets. With a public key or an authority the replica cannot sign: <see cref="CanSign"/> is false.
/// </summary>
public sealed class HmacUserTokenSigner
{
    private readonly TimeProvider _timeProvider;
    private readonly SigningCredentials? _credentials;
    private readonly string? _issuer;
    private readonly string? _audience;
    private readonly string _userIdClaim;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public HmacUserTokenSigner(IOptions<JwtOptions> jwtOptions, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var jwt = jwtOptions.Value;
        _issuer = jwt.Issuer;
        _audience = jwt.Audience;
        _userIdClaim = jwt.UserIdClaim;
        if (!string.IsNullOrWhiteSpace(jwt.SigningKey))
        {
            _credentials = new SigningCredentials(SigningKeyMaterial.CreateHmacKey(jwt.SigningKey), SecurityAlgorithms.HmacSha256);
        }
    }

    /// <summary>True when an HS256 signing key is configured.</summary>
    public bool CanSign => _credentials is not null;

    /// <summary>A token for <paramref name="userId"/>, valid from now for <paramref name="lifetimeSeconds"/>.</summary>
    /// <exception cref="InvalidOperationException">When <see cref="CanSign"/> is false.</exception>
    public (string Token, DateTimeOffset ExpiresAt) Sign(string userId, int lifetimeSeconds)
    {
        if (_credentials is null)
        {
            throw new InvalidOperationException($"Signing a user token needs {JwtOptions.SectionName}:SigningKey.");
        }

        // JWT times are whole seconds; truncating here keeps the returned expiry equal to the token's exp.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_timeProvider.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(lifetimeSeconds);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _issuer,
            Audience = _audience,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Subject = new ClaimsIdentity([new Claim(_userIdClaim, userId)]),
            SigningCredentials = _credentials,
        };

        return (_handler.CreateToken(descriptor), expiresAt);
    }
}
