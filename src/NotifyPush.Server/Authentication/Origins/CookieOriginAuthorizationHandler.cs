using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace NotifyPush.Server.Authentication;

/// <summary>Enforces <see cref="CookieOriginRequirement"/>; a refusal is a 403 whose reason the client sees.</summary>
internal sealed partial class CookieOriginAuthorizationHandler : AuthorizationHandler<CookieOriginRequirement>
{
    private readonly HashSet<string> _allowedOrigins = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger<CookieOriginAuthorizationHandler> _logger;

    public CookieOriginAuthorizationHandler(IOptions<AuthOptions> options, ILogger<CookieOriginAuthorizationHandler> logger)
    {
        _logger = logger;
        foreach (var origin in options.Value.AllowedOrigins)
        {
            if (AllowedOrigin.TryNormalize(origin, out var normalized))
            {
                _allowedOrigins.Add(normalized);
            }
        }
    }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CookieOriginRequirement requirement)
    {
        if (!context.User.HasClaim(NotifyPushClaimTypes.CredentialSource, nameof(CredentialSource.Cookie)))
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        if (context.Resource is not HttpContext http)
        {
            context.Fail(new AuthorizationFailureReason(this, "origin cannot be checked"));
            return Task.CompletedTask;
        }

        var origins = http.Request.Headers[HeaderNames.Origin];
        if (origins.Count == 0 || string.IsNullOrEmpty(origins[0]))
        {
            context.Fail(new AuthorizationFailureReason(this, "a cookie credential needs an Origin header"));
            return Task.CompletedTask;
        }

        var origin = origins[0]!;
        if (origins.Count == 1 && AllowedOrigin.TryNormalize(origin, out var normalized) && _allowedOrigins.Contains(normalized))
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        Log.HandshakeOriginRejected(_logger, origin.Length > 256 ? origin[..256] : origin);
        context.Fail(new AuthorizationFailureReason(this, "origin is not allowed"));
        return Task.CompletedTask;
    }
}
