namespace NotifyPush.Server.Api;

/// <summary>The answer of a sign-out that revoked the user's tokens.</summary>
/// <param name="UserId">The user signed out.</param>
/// <param name="TokensRevokedBefore">Tokens of the user issued (<c>iat</c>) at or before this instant's second are refused; issue new ones after it.</param>
public sealed record DisconnectResponse(string UserId, DateTimeOffset TokensRevokedBefore);
