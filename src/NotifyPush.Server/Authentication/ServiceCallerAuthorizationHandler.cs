using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>Enforces <see cref="ServiceCallerRequirement"/>; a refusal is a 403 whose reason the caller sees.</summary>
internal sealed class ServiceCallerAuthorizationHandler(IOptions<AuthOptions> options) : AuthorizationHandler<ServiceCallerRequirement>
{
    private readonly string _scope = options.Value.ServiceJwt?.Scope ?? new ServiceJwtOptions().Scope;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ServiceCallerRequirement requirement)
    {
        var user = context.User;
        if (!user.HasClaim(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.ServiceKind))
        {
            context.Fail(new AuthorizationFailureReason(this, "user tokens cannot call the service API"));
        }
        else if (user.Identity?.AuthenticationType == NotifyPushSchemes.ServiceToken
            && !user.HasClaim(NotifyPushClaimTypes.Scope, _scope))
        {
            context.Fail(new AuthorizationFailureReason(this, $"service token lacks the '{_scope}' scope"));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
