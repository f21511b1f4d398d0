namespace NotifyPush.Server.Api;

/// <summary>The body of <c>POST /api/presence</c>: the users to look up, at most <see cref="PresenceApiLimits.MaxUsers"/>.</summary>
/// <param name="UserIds">User ids; each must be a valid user id, duplicates are answered once.</param>
public sealed record PresenceRequest(IReadOnlyList<string?>? UserIds);

/// <summary>The answer of <c>POST /api/presence</c>: one entry per distinct user id, in request order.</summary>
public sealed record PresenceResponse(IReadOnlyList<NotifyPush.Core.Presence.UserPresence> Users);

/// <summary>Limits of the presence API.</summary>
public static class PresenceApiLimits
{
    /// <summary>Most user ids in one <c>POST /api/presence</c> (the contract's 10,000).</summary>
    public const int MaxUsers = 10_000;
}
