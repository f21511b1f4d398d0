using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// What a user token must hold beyond a valid signature, issuer, audience and lifetime: exactly one non-empty,
/// valid user id in the configured claim, and not the service audience. Also fixes the credential's deadline.
/// Shared by the handshake scheme and the in-band <c>auth</c> refresh.
/// </summary>
internal sealed class UserTokenRules
{
    private readonly string _userIdClaim;
    private readonly string? _serviceAudience;
    private readonly TimeSpan _clockSkew;

    public UserTokenRules(IOptions<JwtOptions> jwtOptions, IOptions<AuthOptions> authOptions)
    {
        var jwt = jwtOptions.Value;
        _userIdClaim = jwt.UserIdClaim;
        _clockSkew = TimeSpan.FromSeconds(jwt.ClockSkewSeconds);
        var serviceAudience = authOptions.Value.ServiceJwt?.Audience;
        _serviceAudience = string.IsNullOrWhiteSpace(serviceAudience) ? null : serviceAudience;
    }

    /// <summary>Checks a token the handler validated; the result's <c>ExpiresAt</c> is <c>exp</c> plus the clock skew.</summary>
    public UserTokenValidation Check(ClaimsIdentity? identity, SecurityToken? token)
    {
        if (identity is null || token is null)
        {
            return UserTokenValidation.Failure("token is invalid");
        }

        if (_serviceAudience is not null && token is JsonWebToken jwt && jwt.Audiences.Contains(_serviceAudience, StringComparer.Ordinal))
        {
            return UserTokenValidation.Failure("service tokens cannot be used as user tokens");
        }

        string? userId = null;
        var count = 0;
        foreach (var claim in identity.Claims)
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

        if (UserIds.Validate(userId) is { } problem)
        {
            return UserTokenValidation.Failure($"invalid user id in '{_userIdClaim}': {problem}");
        }

        // The handler accepted the token until exp + skew; the socket keeps it exactly that long. ValidTo is UTC,
        // and RequireExpirationTime guarantees exp was present.
        var deadline = new DateTimeOffset(DateTime.SpecifyKind(token.ValidTo, DateTimeKind.Utc)) + _clockSkew;
        return UserTokenValidation.Success(userId, deadline);
    }
}
