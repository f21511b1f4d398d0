namespace NotifyPush.Server.Authentication;

/// <summary>Body of <c>POST /dev/token</c>.</summary>
/// <param name="UserId">The user to mint a token for; 1-128 characters.</param>
/// <param name="LifetimeSeconds">Requested lifetime; absent means <c>NotifyPush:Auth:DevTokenLifetimeSeconds</c>, more is capped to it.</param>
public sealed record DevTokenRequest(string? UserId, int? LifetimeSeconds);
