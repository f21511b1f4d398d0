namespace NotifyPush.Core.Storage;

/// <summary>What an append stored, in the order of <see cref="AppendRequest.UserIds"/>.</summary>
/// <param name="Notifications">One stored notification per requested user id.</param>
/// <param name="IsReplay">True when an earlier request with the same idempotency key had stored them.</param>
public sealed record AppendResult(IReadOnlyList<StoredNotification> Notifications, bool IsReplay);
