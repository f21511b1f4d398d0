namespace NotifyPush.Server.Api;

/// <summary>The optional body of <c>POST /api/users/{userId}/disconnect</c>.</summary>
/// <param name="RevokeTokens">
/// Also revoke every token of the user issued before now: refused at the handshake (401) and on in-band refresh
/// (close 4003), on every replica. Default false (sign-out only).
/// </param>
public sealed record DisconnectRequest(bool RevokeTokens = false);
