using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The <see cref="NotifyPushSchemes.ServiceToken"/> scheme's part that JwtBearer does not do itself. The scheme
/// accepts the service audience and the user audience: a service token becomes a service caller with its scopes,
/// a good user token becomes a user, which <see cref="ServiceCallerRequirement"/> then refuses with 403.
/// </summary>
internal sealed class ServiceTokenEvents(IOptions<AuthOptions> authOptions, SigningKeyDiscovery discovery) : JwtBearerEvents
{
    /// <summary>Prefix of the caller name of a service JWT, so it can never equal an API key name.</summary>
    public const string JwtCallerPrefix = "jwt:";

    private readonly string? _serviceAudience = string.IsNullOrWhiteSpace(authOptions.Value.ServiceJwt?.Audience) ? null : authOptions.Value.ServiceJwt.Audience;

    // The issuer's name for the send scope (NotifyPush:Auth:ServiceJwt:Scope, default notifications:send).
    private readonly string _sendScope = authOptions.Value.ServiceJwt?.Scope ?? ServiceScopes.Send;

    public override async Task MessageReceived(MessageReceivedContext context)
    {
        // The Service scheme forwards here only for a Bearer header.
        if (AuthorizationHeader.Read(context.Request, out var scheme, out var token) != AuthorizationHeaderState.Present
            || !scheme.Equals(AuthorizationHeader.BearerScheme, StringComparison.OrdinalIgnoreCase))
        {
            context.NoResult();
            return;
        }

        if (await TokenPrecheck.CheckAsync(token, context.Options.TokenValidationParameters.ValidAlgorithms, discovery, context.HttpContext.RequestAborted).ConfigureAwait(false) is { } refused)
        {
            context.Fail(refused);
            return;
        }

        context.Token = token;
    }

    public override Task TokenValidated(TokenValidatedContext context)
    {
        var token = (JsonWebToken)context.SecurityToken;
        if (_serviceAudience is null || !token.Audiences.Contains(_serviceAudience, StringComparer.Ordinal))
        {
            context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.UserKind)],
                NotifyPushSchemes.ServiceToken));
            return Task.CompletedTask;
        }

        var caller = FirstNonEmpty(token, "client_id") ?? FirstNonEmpty(token, "azp") ?? FirstNonEmpty(token, "sub");
        if (caller is null)
        {
            context.Fail("service token has no client_id, azp or sub");
            return Task.CompletedTask;
        }

        var claims = new List<Claim>
        {
            new(NotifyPushClaimTypes.Caller, JwtCallerPrefix + caller),
            new(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.ServiceKind),
        };

        // "scope" is a space-separated string (RFC 8693); "scp" is a string or an array depending on the issuer.
        // An array arrives as one claim per element, so every value is split on spaces.
        foreach (var claim in token.Claims)
        {
            if (claim.Type is "scope" or "scp")
            {
                foreach (var scope in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    claims.Add(new Claim(NotifyPushClaimTypes.Scope, scope));
                    if (string.Equals(scope, _sendScope, StringComparison.Ordinal))
                    {
                        claims.Add(new Claim(NotifyPushClaimTypes.Scope, ServiceScopes.Send));
                    }
                }
            }
        }

        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, NotifyPushSchemes.ServiceToken, NotifyPushClaimTypes.Caller, roleType: null));
        return Task.CompletedTask;
    }

    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        context.Fail(_serviceAudience is null ? "service tokens are not enabled; use an API key" : TokenErrors.Describe(context.Exception));
        return Task.CompletedTask;
    }

    private static string? FirstNonEmpty(JsonWebToken token, string type)
    {
        foreach (var claim in token.Claims)
        {
            if (claim.Type == type && !string.IsNullOrWhiteSpace(claim.Value))
            {
                return claim.Value;
            }
        }

        return null;
    }
}
