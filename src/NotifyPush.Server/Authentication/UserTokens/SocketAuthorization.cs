using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The <see cref="NotifyPushPolicies.SocketUser"/> policy, evaluated by a long-lived endpoint (<c>/ws</c>, <c>GET
/// /sse</c>) itself rather than by the authorization middleware, so that nothing of the check outlives the handshake.
/// </summary>
/// <remarks>
/// A socket's request lasts for hours. Evaluated by the middleware, the policy's result stays referenced by the
/// middleware's suspended frame for all that time, and the scheme's handler with its cached result (ticket,
/// principal, claims, properties) by the request's service scope: about 2.5 KB per socket. Here the scheme handlers run
/// in a service scope of their own that is disposed once the handshake is decided, and the request keeps only the
/// user id and the credential's deadline. Refusals are written by the same
/// <see cref="IAuthorizationMiddlewareResultHandler"/> as for any other endpoint, so they are the same answers.
/// </remarks>
internal static class SocketAuthorization
{
    private static readonly ClaimsPrincipal Nobody = new(new ClaimsIdentity());

    /// <summary>
    /// Authenticates and authorizes the socket's user. Returns null when the request was refused (the answer is
    /// written).
    /// </summary>
    public static async Task<SocketCredential?> AuthorizeAsync(HttpContext context)
    {
        var requestServices = context.RequestServices;
        var policy = await requestServices.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync(NotifyPushPolicies.SocketUser)
            ?? throw new InvalidOperationException($"The {NotifyPushPolicies.SocketUser} policy is not registered.");

        await using var scope = requestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        context.RequestServices = scope.ServiceProvider;
        try
        {
            var evaluator = scope.ServiceProvider.GetRequiredService<IPolicyEvaluator>();
            var authenticated = await evaluator.AuthenticateAsync(policy, context);
            var authorized = await evaluator.AuthorizeAsync(policy, authenticated, context, resource: context);
            if (!authorized.Succeeded)
            {
                var refusal = scope.ServiceProvider.GetRequiredService<IAuthorizationMiddlewareResultHandler>();
                await refusal.HandleAsync(static _ => Task.CompletedTask, context, policy, authorized);
                return null;
            }

            // The scheme left the user id and the credential's deadline.
            var userId = context.User.FindFirst(NotifyPushClaimTypes.UserId)!.Value;
            return new SocketCredential(userId, authenticated.Properties?.ExpiresUtc);
        }
        finally
        {
            context.RequestServices = requestServices;
            context.User = Nobody;
            context.Features.Set<IAuthenticateResultFeature>(null);
            context.Features.Set<IHttpAuthenticationFeature>(null);
        }
    }
}

/// <summary>What a socket keeps of its credential: the user and when the credential expires.</summary>
internal readonly record struct SocketCredential(string UserId, DateTimeOffset? Deadline);
