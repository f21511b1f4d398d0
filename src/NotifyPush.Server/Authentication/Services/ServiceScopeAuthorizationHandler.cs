using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>Enforces <see cref="ServiceScopeRequirement"/> for service callers.</summary>
internal sealed class ServiceScopeAuthorizationHandler : AuthorizationHandler<ServiceScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ServiceScopeRequirement requirement)
    {
        var user = context.User;

        // A user token is refused by ServiceCallerRequirement, with its own reason; one reason per refusal.
        if (!user.HasClaim(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.ServiceKind))
        {
            return Task.CompletedTask;
        }

        if (user.HasClaim(NotifyPushClaimTypes.Scope, requirement.Scope))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, $"the credential lacks the '{requirement.Scope}' scope"));
        }

        return Task.CompletedTask;
    }
}
