using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The service caller holds <see cref="Scope"/> (a <see cref="NotifyPushClaimTypes.Scope"/> claim). Checked by
/// <see cref="ServiceScopeAuthorizationHandler"/>; a refusal is a 403 whose detail names the scope.
/// </summary>
/// <param name="Scope">One of <see cref="ServiceScopes.All"/>.</param>
public sealed record ServiceScopeRequirement(string Scope) : IAuthorizationRequirement;
