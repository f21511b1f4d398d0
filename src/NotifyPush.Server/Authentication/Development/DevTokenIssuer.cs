using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Mints short-lived HS256 user tokens for the demo page and local testing. Works only in
/// Development and only when the key material is an HS256 <c>SigningKey</c> (a public key or an
/// authority cannot sign); everywhere else <see cref="CanIssue"/> is false and nothing is minted.
/// </summary>
public sealed partial class DevTokenIssuer
{
    private readonly ILogger<DevTokenIssuer> _logger;
    private readonly HmacUserTokenSigner? _signer;
    private readonly int _maxLifetimeSeconds;

    public DevTokenIssuer(HmacUserTokenSigner signer, IOptions<AuthOptions> authOptions, IHostEnvironment environment, ILogger<DevTokenIssuer> logger)
    {
        _logger = logger;
        _maxLifetimeSeconds = authOptions.Value.DevTokenLifetimeSeconds;
        if (environment.IsDevelopment() && signer.CanSign)
        {
            _signer = signer;
        }
    }

    /// <summary>True in Development with an HS256 signing key configured.</summary>
    public bool CanIssue => _signer is not null;

    /// <summary>Longest lifetime minted, in seconds (<c>NotifyPush:Auth:DevTokenLifetimeSeconds</c>).</summary>
    public int MaxLifetimeSeconds => _maxLifetimeSeconds;

    /// <summary>Mints a user token for <paramref name="userId"/> valid for <paramref name="lifetimeSeconds"/> (default and cap: the configured lifetime).</summary>
    /// <exception cref="InvalidOperationException">When <see cref="CanIssue"/> is false.</exception>
    /// <exception cref="ArgumentException">When the user id breaks <see cref="UserIds.Validate"/>, or the lifetime is not positive.</exception>
    public DevToken Issue(string userId, int? lifetimeSeconds = null)
    {
        if (_signer is null)
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

        var (token, expiresAt) = _signer.Sign(userId, Math.Min(lifetimeSeconds ?? _maxLifetimeSeconds, _maxLifetimeSeconds));
        Log.DevTokenIssued(_logger, userId, expiresAt);
        return new DevToken(token, userId, expiresAt);
    }
}
