using System.IdentityModel.Tokens.Jwt;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Validates user JWTs for the socket (handshake and in-band <c>auth</c> refresh): signature with the
/// pinned algorithm, issuer, user audience, lifetime, and a non-empty user id in the configured claim.
/// A token meant for the service API is refused even if it also names the user audience.
/// </summary>
public sealed partial class UserTokenValidator : IUserTokenValidator
{
    /// <summary>Longest user id accepted, in characters (OpenID Connect caps <c>sub</c> at 255 ASCII characters).</summary>
    public const int MaxUserIdLength = 255;

    private readonly SignedJwtValidator _jwt;
    private readonly ILogger<UserTokenValidator> _logger;
    private readonly string _audience;
    private readonly string? _serviceAudience;
    private readonly string _userIdClaim;

    public UserTokenValidator(SignedJwtValidator jwt, IOptions<JwtOptions> jwtOptions, IOptions<AuthOptions> authOptions, ILogger<UserTokenValidator> logger)
    {
        _jwt = jwt;
        _logger = logger;
        _audience = jwtOptions.Value.Audience ?? throw new InvalidOperationException($"{JwtOptions.SectionName}:Audience is required.");
        _userIdClaim = jwtOptions.Value.UserIdClaim;
        var serviceAudience = authOptions.Value.ServiceJwt?.Audience;
        _serviceAudience = string.IsNullOrWhiteSpace(serviceAudience) ? null : serviceAudience;
    }

    public async ValueTask<UserTokenValidation> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var check = await _jwt.ValidateAsync(token, _audience, cancellationToken).ConfigureAwait(false);
        var result = check.Token is { } jwt ? FromValidToken(jwt) : UserTokenValidation.Failure(check.Error!);
        if (!result.Succeeded)
        {
            Log.UserTokenRejected(_logger, result.Error!);
        }

        return result;
    }

    private UserTokenValidation FromValidToken(JwtSecurityToken jwt)
    {
        if (_serviceAudience is not null && jwt.Audiences.Contains(_serviceAudience, StringComparer.Ordinal))
        {
            return UserTokenValidation.Failure("service tokens cannot be used as user tokens");
        }

        string? userId = null;
        var count = 0;
        foreach (var claim in jwt.Claims)
        {
            if (string.Equals(claim.Type, _userIdClaim, StringComparison.Ordinal))
            {
                userId = claim.Value;
                count++;
            }
        }

        if (count == 0)
        {
            return UserTokenValidation.Failure($"token has no '{_userIdClaim}' claim");
        }

        if (count > 1)
        {
            return UserTokenValidation.Failure($"token has several '{_userIdClaim}' values");
        }

        if (string.IsNullOrWhiteSpace(userId))
        {
            return UserTokenValidation.Failure($"token has an empty '{_userIdClaim}' claim");
        }

        if (userId.Length > MaxUserIdLength)
        {
            return UserTokenValidation.Failure($"user id in '{_userIdClaim}' is longer than {MaxUserIdLength} characters");
        }

        // ValidTo is UTC; RequireExpirationTime guarantees it was present.
        var expiresAt = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc));
        return UserTokenValidation.Success(userId, expiresAt);
    }
}
