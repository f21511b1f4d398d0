using Microsoft.AspNetCore.Http;

namespace NotifyPush.Server.Authentication;

/// <summary>The outcome of <see cref="HandshakeAuthenticator.AuthenticateAsync"/>.</summary>
/// <param name="Status">Succeeded, Unauthorized (401) or Forbidden (403).</param>
/// <param name="UserId">The user id from the token (set when succeeded).</param>
/// <param name="ExpiresAt">The token's <c>exp</c> (set when succeeded).</param>
/// <param name="Error">Why it failed, safe to send to the client and to log (never contains the token).</param>
/// <param name="Source">Which source carried the token that decided the outcome.</param>
public readonly record struct HandshakeAuthResult(
    HandshakeAuthStatus Status,
    string? UserId,
    DateTimeOffset? ExpiresAt,
    string? Error,
    CredentialSource Source)
{
    public bool Succeeded => Status == HandshakeAuthStatus.Succeeded;

    /// <summary>The HTTP status to answer a refused handshake with: 200, 401 or 403.</summary>
    public int StatusCode => Status switch
    {
        HandshakeAuthStatus.Succeeded => StatusCodes.Status200OK,
        HandshakeAuthStatus.Forbidden => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status401Unauthorized,
    };

    public static HandshakeAuthResult Success(string userId, DateTimeOffset expiresAt, CredentialSource source) =>
        new(HandshakeAuthStatus.Succeeded, userId, expiresAt, null, source);

    public static HandshakeAuthResult Unauthorized(string error, CredentialSource source) =>
        new(HandshakeAuthStatus.Unauthorized, null, null, error, source);

    public static HandshakeAuthResult Forbidden(string error, CredentialSource source) =>
        new(HandshakeAuthStatus.Forbidden, null, null, error, source);
}
