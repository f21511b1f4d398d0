using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>Enforces <see cref="ServiceCallerRequirement"/>; a refusal is a 403 whose reason the caller sees.</summary>
internal sealed class ServiceCallerAuthorizationHandler : AuthorizationHandler<ServiceCallerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ServiceCallerRequirement requirement)
    {
        if (context.User.HasClaim(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.ServiceKind))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, "user tokens cannot call the service API"));
        }

        return Task.CompletedTask;
    }
}
