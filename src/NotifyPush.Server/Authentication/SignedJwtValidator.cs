using System.IdentityModel.Tokens.Jwt;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Checks a compact JWS against the configured keys for a given audience: pinned algorithms,
/// a required signature and <c>exp</c>, issuer, audience and lifetime with the configured skew.
/// Shared by user-token and service-token validation, which differ only in audience and claims.
/// </summary>
public sealed class SignedJwtValidator
{
    /// <summary>Largest token accepted, in characters; a handshake header or <c>auth</c> frame never needs more.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private readonly SigningKeyResolver _keys;
    private readonly TimeSpan _clockSkew;

    // MapInboundClaims=false keeps "sub", "scope", "azp" under their JWT names instead of the
    // WS-Federation URIs the handler maps them to by default.
    private readonly JwtSecurityTokenHandler _handler = new()
    {
        MapInboundClaims = false,
        MaximumTokenSizeInBytes = MaxTokenLength,
    };

    public SignedJwtValidator(SigningKeyResolver keys, IOptions<JwtOptions> options)
    {
        _keys = keys;
        _clockSkew = TimeSpan.FromSeconds(options.Value.ClockSkewSeconds);
    }

    /// <summary>Validates <paramref name="token"/> for <paramref name="audience"/>.</summary>
    public async ValueTask<JwtCheckResult> ValidateAsync(string? token, string audience, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return JwtCheckResult.Invalid("token is missing");
        }

        if (token.Length > MaxTokenLength)
        {
            return JwtCheckResult.Invalid("token is too large");
        }

        // Only compact JWS (three segments). A JWE (five) is refused before the handler sees it:
        // no decryption keys are configured and decompressing attacker input is not worth the risk.
        if (token.Count(c => c == '.') != 2)
        {
            return JwtCheckResult.Invalid("token is malformed");
        }

        JwtSecurityToken unverified;
        try
        {
            unverified = _handler.ReadJwtToken(token);
        }
        catch (Exception)
        {
            // Parsing attacker input: any failure means malformed, and the handler's message
            // (which can quote the token) is not passed on.
            return JwtCheckResult.Invalid("token is malformed");
        }

        if (string.IsNullOrEmpty(unverified.RawSignature)
            || string.IsNullOrEmpty(unverified.Header.Alg)
            || string.Equals(unverified.Header.Alg, SecurityAlgorithms.None, StringComparison.OrdinalIgnoreCase))
        {
            return JwtCheckResult.Invalid("token is not signed");
        }

        var keys = await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
        if (keys is null)
        {
            return JwtCheckResult.Invalid("token signing keys are unavailable");
        }

        var algorithm = unverified.Header.Alg;
        var result = Validate(token, algorithm, keys, audience, out var keyMismatch);
        if (keyMismatch && _keys.IsDiscovery)
        {
            // The authority may have rotated its keys since the last fetch: refresh once and retry.
            _keys.RequestRefresh();
            var refreshed = await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
            if (refreshed is not null && !ReferenceEquals(refreshed, keys))
            {
                result = Validate(token, algorithm, refreshed, audience, out _);
            }
        }

        return result;
    }

    private JwtCheckResult Validate(string token, string algorithm, SigningKeySet keys, string audience, out bool keyMismatch)
    {
        // The algorithm is pinned to the key type here, before any key is tried, rather than left
        // to the handler: this is what stops an HS256 token keyed with a public key's bytes.
        keyMismatch = false;
        if (!keys.Algorithms.Contains(algorithm, StringComparer.Ordinal))
        {
            keyMismatch = true;
            return JwtCheckResult.Invalid("token signing algorithm is not accepted");
        }

        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = keys.Keys,
            ValidAlgorithms = keys.Algorithms,
            TryAllIssuerSigningKeys = true,
            RequireSignedTokens = true,
            ValidateIssuer = true,
            ValidIssuer = keys.Issuer,
            ValidateAudience = true,
            RequireAudience = true,
            ValidAudience = audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = _clockSkew,
            SaveSigninToken = false,
        };

        try
        {
            _handler.ValidateToken(token, parameters, out var validated);
            return validated is JwtSecurityToken jwt ? JwtCheckResult.Valid(jwt) : JwtCheckResult.Invalid("token is invalid");
        }
        catch (SecurityTokenExpiredException)
        {
            return JwtCheckResult.Invalid("token has expired");
        }
        catch (SecurityTokenNotYetValidException)
        {
            return JwtCheckResult.Invalid("token is not yet valid");
        }
        catch (SecurityTokenNoExpirationException)
        {
            return JwtCheckResult.Invalid("token has no expiry");
        }
        catch (SecurityTokenInvalidLifetimeException)
        {
            return JwtCheckResult.Invalid("token lifetime is invalid");
        }
        catch (SecurityTokenInvalidAlgorithmException)
        {
            return JwtCheckResult.Invalid("token signing algorithm is not accepted");
        }
        catch (SecurityTokenInvalidSignatureException)
        {
            keyMismatch = true;
            return JwtCheckResult.Invalid("token signature is invalid");
        }
        catch (SecurityTokenInvalidIssuerException)
        {
            return JwtCheckResult.Invalid("token issuer is not accepted");
        }
        catch (SecurityTokenInvalidAudienceException)
        {
            return JwtCheckResult.Invalid("token audience is not accepted");
        }
        catch (Exception)
        {
            // Fail closed on anything else the handler throws for odd input; its messages can
            // quote token content, so none of it is passed on.
            return JwtCheckResult.Invalid("token is invalid");
        }
    }
}
