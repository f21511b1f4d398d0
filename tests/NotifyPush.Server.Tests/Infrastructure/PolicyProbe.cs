using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>What an endpoint's policy made of a request: admitted (200), or the status and problem detail it answered with.</summary>
/// <param name="StatusCode">200 when admitted; otherwise the refusal's status (401, 403).</param>
/// <param name="UserId">The socket user (UserToken scheme, when admitted).</param>
/// <param name="Caller">The service caller's name (Service scheme, when admitted).</param>
/// <param name="ExpiresAt">The socket credential's deadline (when admitted).</param>
/// <param name="Error">The problem+json <c>detail</c> of a refusal.</param>
/// <param name="Source">Where the socket token came from.</param>
/// <param name="WwwAuthenticate">The refusal's <c>WWW-Authenticate</c> header.</param>
public sealed record AuthOutcome(int StatusCode, string? UserId, string? Caller, DateTimeOffset? ExpiresAt, string? Error, CredentialSource Source, string? WwwAuthenticate)
{
    public bool Succeeded => StatusCode == StatusCodes.Status200OK;
}

/// <summary>
/// Runs a request through an endpoint policy exactly as the authorization middleware does (policy evaluator,
/// then the server's result handler that writes the refusal), without a server: the schemes, requirements and
/// problem bodies under test are the production ones.
/// </summary>
public static class PolicyProbe
{
    public static async Task<AuthOutcome> AuthorizeAsync(IServiceProvider services, HttpContext context, string policyName)
    {
        // A request scope, as the host gives each request (the authentication service is scoped).
        await using var scope = services.CreateAsyncScope();
        context.RequestServices = scope.ServiceProvider;
        context.Response.Body = new MemoryStream();
        var policy = await services.GetRequiredService<IAuthorizationPolicyProvider>().GetPolicyAsync(policyName).WithTimeout()
            ?? throw new InvalidOperationException($"No policy {policyName}.");
        var evaluator = services.GetRequiredService<IPolicyEvaluator>();
        var authenticated = await evaluator.AuthenticateAsync(policy, context).WithTimeout();
        var authorized = await evaluator.AuthorizeAsync(policy, authenticated, context, context).WithTimeout();

        var admitted = false;
        await services.GetRequiredService<IAuthorizationMiddlewareResultHandler>()
            .HandleAsync(_ => { admitted = true; return Task.CompletedTask; }, context, policy, authorized)
            .WithTimeout();

        var source = UserTokenSource.Recall(context);
        if (admitted)
        {
            return new AuthOutcome(
                StatusCodes.Status200OK,
                context.User.FindFirst(NotifyPushClaimTypes.UserId)?.Value,
                context.User.FindFirst(NotifyPushClaimTypes.Caller)?.Value,
                authenticated.Properties?.ExpiresUtc,
                null,
                source,
                null);
        }

        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body).WithTimeout();
        Assert.StartsWith("application/problem+json", context.Response.ContentType, StringComparison.Ordinal);
        var detail = problem.RootElement.GetProperty("detail").GetString();
        return new AuthOutcome(context.Response.StatusCode, null, null, null, detail, source, context.Response.Headers.WWWAuthenticate.ToString());
    }
}
