namespace NotifyPush.Server.Authentication;

/// <summary>A Development user token, as returned by <c>POST /dev/token</c>.</summary>
/// <param name="Token">The signed HS256 JWT.</param>
/// <param name="UserId">The user it was minted for.</param>
/// <param name="ExpiresAt">Its <c>exp</c>.</param>
public sealed record DevToken(string Token, string UserId, DateTimeOffset ExpiresAt);
