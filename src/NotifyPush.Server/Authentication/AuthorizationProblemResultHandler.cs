using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Api;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Answers a refused socket handshake or service API call with problem+json (401 or 403) that says why, in plain
/// HTTP before any upgrade. The schemes' own challenge would answer with headers only.
/// </summary>
internal sealed partial class AuthorizationProblemResultHandler(NotifyPushMetrics metrics, IOptions<ApiOptions> apiOptions, ILogger<AuthorizationProblemResultHandler> logger) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var isSocket = policy.Requirements.Any(r => r is CookieOriginRequirement);
        var isService = policy.Requirements.Any(r => r is ServiceCallerRequirement);
        if (authorizeResult.Succeeded || !(isSocket || isService))
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        string reason;
        int status;
        if (authorizeResult.Forbidden)
        {
            status = StatusCodes.Status403Forbidden;
            reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? "credential not allowed";
        }
        else
        {
            // The scheme's result is cached for the request, so this does not validate the token again.
            status = StatusCodes.Status401Unauthorized;
            var authenticated = await context.AuthenticateAsync(policy.AuthenticationSchemes[0]);
            reason = authenticated.Failure?.Message ?? "no credential";
            if (isSocket && authenticated.Failure is StoreUnavailableException)
            {
                // The token revocation check could not read the store: not the credential's fault.
                metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.Unavailable);
                Log.HandshakeRejected(logger, StatusCodes.Status503ServiceUnavailable, UserTokenSource.Recall(context), reason);
                context.Response.Headers.RetryAfter = Math.Max(1, apiOptions.Value.UnavailableRetryAfterSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem("The user's token revocation state could not be read (store unavailable). Retry later.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Store unavailable")
                    .ExecuteAsync(context);
                return;
            }
        }

        if (isSocket)
        {
            metrics.Handshake(status == StatusCodes.Status403Forbidden ? NotifyPushMetrics.HandshakeOutcomes.Forbidden : NotifyPushMetrics.HandshakeOutcomes.Unauthorized);
            Log.HandshakeRejected(logger, status, UserTokenSource.Recall(context), reason);
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            await Results.Problem(reason, statusCode: status, title: status == StatusCodes.Status403Forbidden ? "Origin not allowed" : "Missing or invalid credential")
                .ExecuteAsync(context);
            return;
        }

        Log.ServiceCallRejected(logger, status, reason);
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
            await ApiProblems.Unauthorized(reason).ExecuteAsync(context);
        }
        else
        {
            await ApiProblems.Forbidden(reason).ExecuteAsync(context);
        }
    }
}
