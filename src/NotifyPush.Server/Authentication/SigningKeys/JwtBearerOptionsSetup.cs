using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Configures the two JwtBearer schemes from <see cref="JwtOptions"/>: the one set of
/// <see cref="TokenValidationParameters"/> (pinned algorithms, issuer, audience, required signature and
/// <c>exp</c>, clock skew) that the handshake, the service API and the in-band <c>auth</c> refresh all use.
/// </summary>
internal sealed class JwtBearerOptionsSetup(IOptions<JwtOptions> jwtOptions, IOptions<AuthOptions> authOptions, SigningKeyDiscovery discovery)
    : IConfigureNamedOptions<JwtBearerOptions>
{
    // Every asymmetric JWS algorithm. Discovery never enables a symmetric one, so a token cannot pick HS256
    // and have a published public key used as its secret.
    private static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, JwtBearerOptions options)
    {
        var isUserScheme = name == NotifyPushSchemes.UserToken;
        if (!isUserScheme && name != NotifyPushSchemes.ServiceToken)
        {
            return;
        }

        var jwt = jwtOptions.Value;
        var serviceAudience = authOptions.Value.ServiceJwt?.Audience;

        // A bearer on the service API is validated for either audience, so that a good user token is recognised
        // and refused with 403 by the policy rather than with a misleading 401.
        string[] audiences = isUserScheme || string.IsNullOrWhiteSpace(serviceAudience)
            ? [jwt.Audience!]
            : [jwt.Audience!, serviceAudience];

        options.MapInboundClaims = false;
        options.TokenHandlers.Clear();
        options.TokenHandlers.Add(new JsonWebTokenHandler { MapInboundClaims = false, MaximumTokenSizeInBytes = TokenPrecheck.MaxTokenLength });
        options.TokenValidationParameters = CreateParameters(jwt, audiences);
        options.ConfigurationManager = discovery.ConfigurationManager;
        options.RefreshOnIssuerKeyNotFound = true;
        options.IncludeErrorDetails = false;
        options.SaveToken = false;
        options.EventsType = isUserScheme ? typeof(UserTokenEvents) : typeof(ServiceTokenEvents);
    }

    private static TokenValidationParameters CreateParameters(JwtOptions jwt, string[] audiences)
    {
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            RequireAudience = true,
            ValidAudiences = audiences,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(jwt.ClockSkewSeconds),
            NameClaimType = jwt.UserIdClaim,
            TryAllIssuerSigningKeys = true,
            SaveSigninToken = false,
        };

        if (!string.IsNullOrWhiteSpace(jwt.SigningKey))
        {
            parameters.IssuerSigningKey = SigningKeyMaterial.CreateHmacKey(jwt.SigningKey);
            parameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
            parameters.ValidIssuer = jwt.Issuer;
        }
        else if (!string.IsNullOrWhiteSpace(jwt.PublicKeyPem))
        {
            if (!SigningKeyMaterial.TryCreatePublicKey(jwt.PublicKeyPem, out var key, out var algorithm))
            {
                // Options validation refuses such a PEM at start-up; this guards a scheme built without it.
                throw new InvalidOperationException($"{JwtOptions.SectionName}:PublicKeyPem is not a PEM-encoded RSA or EC public key.");
            }

            parameters.IssuerSigningKey = key;
            parameters.ValidAlgorithms = [algorithm];
            parameters.ValidIssuer = jwt.Issuer;
        }
        else
        {
            parameters.ValidAlgorithms = AsymmetricAlgorithms;
            if (!string.IsNullOrWhiteSpace(jwt.Issuer))
            {
                // A configured issuer replaces the discovered one; IdentityModel's own check would accept either.
                var issuer = jwt.Issuer;
                parameters.IssuerValidator = (actual, _, _) => string.Equals(actual, issuer, StringComparison.Ordinal)
                    ? actual
                    : throw new SecurityTokenInvalidIssuerException("The token's issuer is not the configured one.");
            }
        }

        return parameters;
    }
}
