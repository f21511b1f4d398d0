namespace NotifyPush.Client.Publishing;

/// <summary>One stored notification: its recipient, its id and its place (<paramref name="Seq"/>) in the recipient's stream.</summary>
/// <param name="UserId">The recipient.</param>
/// <param name="Id">The notification's id.</param>
/// <param name="Seq">Its per-user sequence number.</param>
public sealed record SentNotification(string UserId, Guid Id, long Seq);
