namespace NotifyPush.Core.Storage;

/// <summary>One queued Web Push of one notification to its user, as claimed by a worker.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="LeaseId">This claim's id: completing or rescheduling the job only counts while the lease is still this one.</param>
/// <param name="UserId">The recipient.</param>
/// <param name="Seq">The notification's seq in the user's stream; an ack at or above it makes the push unnecessary.</param>
/// <param name="NotificationId">The notification's id (the browser's notification tag: a repeated push replaces, not adds).</param>
/// <param name="Type">The notification's type.</param>
/// <param name="Content">Title, body and URL to show.</param>
/// <param name="CreatedAt">When the notification was accepted (UTC).</param>
/// <param name="ExpiresAt">The notification's expiry (UTC): the push's TTL runs out with it.</param>
/// <param name="PresenceChecked">True once the worker found the user online and waited for an ack; the next pass pushes unless acked.</param>
/// <param name="Attempts">Push attempts already made (each one that a push service answered with 429/5xx or did not answer).</param>
public sealed record PushJob(
    long Id,
    Guid LeaseId,
    string UserId,
    long Seq,
    Guid NotificationId,
    string Type,
    WebPushContent Content,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    bool PresenceChecked,
    int Attempts);
