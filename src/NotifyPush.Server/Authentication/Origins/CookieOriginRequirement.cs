using Microsoft.AspNetCore.Authorization;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// A socket authenticated by the cookie needs an <c>Origin</c> in <c>NotifyPush:Auth:AllowedOrigins</c>: browsers
/// attach cookies to cross-site requests too (cross-site WebSocket hijacking), whereas headers and query strings
/// are set by the page itself. Checked by <see cref="CookieOriginAuthorizationHandler"/>.
/// </summary>
public sealed class CookieOriginRequirement : IAuthorizationRequirement;
