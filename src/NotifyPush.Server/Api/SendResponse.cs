namespace NotifyPush.Server.Api;

/// <summary>The body of a 202 answer to a send: one entry per recipient, in request order.</summary>
public sealed record SendResponse(IReadOnlyList<SentNotification> Notifications);

/// <summary>One stored notification: its recipient, id and place in the recipient's stream.</summary>
public sealed record SentNotification(string UserId, Guid Id, long Seq);
