using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The caller of the service API is a service: an API key or a service JWT. A user token (recognised by the service
/// scheme) is refused, never accepted. What the service may do is its scopes' business
/// (<see cref="ServiceScopeRequirement"/>). Checked by <see cref="ServiceCallerAuthorizationHandler"/>.
/// </summary>
public sealed class ServiceCallerRequirement : IAuthorizationRequirement;
