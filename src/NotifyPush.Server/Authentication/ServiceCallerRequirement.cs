using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The caller of the service API is a service: an API key, or a service JWT carrying the scope
/// <c>NotifyPush:Auth:ServiceJwt:Scope</c>.
/// A user token (recognised by the service scheme) is refused, never accepted. Checked by
/// <see cref="ServiceCallerAuthorizationHandler"/>.
/// </summary>
public sealed class ServiceCallerRequirement : IAuthorizationRequirement;
