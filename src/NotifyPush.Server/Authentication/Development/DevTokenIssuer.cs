using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Mints short-lived HS256 user tokens for the demo page and local testing. Works only in
/// Development and only when the key material is an HS256 <c>SigningKey</c> (a public key or an
/// authority cannot sign); everywhere else <see cref="CanIssue"/> is false and nothing is minted.
/// </summary>
public sealed partial class DevTokenIssuer
{
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<DevTokenIssuer> _logger;
    private readonly SigningCredentials? _credentials;
    private readonly string? _issuer;
    private readonly string? _audience;
    private readonly string _userIdClaim;
    private readonly int _maxLifetimeSeconds;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    public DevTokenIssuer(IOptions<JwtOptions> jwtOptions, IOptions<AuthOptions> authOptions, IHostEnvironment environment, TimeProvider timeProvider, ILogger<DevTokenIssuer> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        var jwt = jwtOptions.Value;
        _issuer = jwt.Issuer;
        _audience = jwt.Audience;
        _userIdClaim = jwt.UserIdClaim;
        _maxLifetimeSeconds = authOptions.Value.DevTokenLifetimeSeconds;
        if (environment.IsDevelopment() && !string.IsNullOrWhiteSpace(jwt.SigningKey))
        {
            _credentials = new SigningCredentials(SigningKeyMaterial.CreateHmacKey(jwt.SigningKey), SecurityAlgorithms.HmacSha256);
        }
    }

    /// <summary>True in Development with an HS256 signing key configured.</summary>
    public bool CanIssue => _credentials is not null;

    /// <summary>Longest lifetime minted, in seconds (<c>NotifyPush:Auth:DevTokenLifetimeSeconds</c>).</summary>
    public int MaxLifetimeSeconds => _maxLifetimeSeconds;

    /// <summary>Mints a user token for <paramref name="userId"/> valid for <paramref name="lifetimeSeconds"/> (default and cap: the configured lifetime).</summary>
    /// <exception cref="InvalidOperationException">When <see cref="CanIssue"/> is false.</exception>
    /// <exception cref="ArgumentException">When the user id breaks <see cref="UserIds.Validate"/>, or the lifetime is not positive.</exception>
    public DevToken Issue(string userId, int? lifetimeSeconds = null)
    {
        if (_credentials is null)
        {
            throw new InvalidOperationException($"Development tokens need Development mode and {JwtOptions.SectionName}:SigningKey.");
        }

        if (UserIds.Validate(userId) is { } problem)
        {
            throw new ArgumentException(problem, nameof(userId));
        }

        if (lifetimeSeconds is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetimeSeconds), lifetimeSeconds, "The lifetime must be positive.");
        }

        var lifetime = Math.Min(lifetimeSeconds ?? _maxLifetimeSeconds, _maxLifetimeSeconds);
        var now = _timeProvider.GetUtcNow();

        // JWT times are whole seconds; truncating here keeps ExpiresAt equal to the token's exp.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(lifetime);
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

        var token = _handler.CreateToken(descriptor);
        Log.DevTokenIssued(_logger, userId, expiresAt);
        return new DevToken(token, userId, expiresAt);
    }
}
