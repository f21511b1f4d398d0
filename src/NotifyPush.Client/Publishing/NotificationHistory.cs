namespace NotifyPush.Client.Publishing;

/// <summary>A page of one user's stream with its delivery state.</summary>
/// <param name="UserId">The user.</param>
/// <param name="LastSeq">The highest seq the user was ever given.</param>
/// <param name="AckedSeq">The highest seq the user acknowledged: everything up to it is delivered.</param>
/// <param name="PrunedSeq">The highest seq the store has removed.</param>
/// <param name="Notifications">Stored notifications after the requested seq, oldest first; a page shorter than the limit is the last.</param>
public sealed record NotificationHistory(string UserId, long LastSeq, long AckedSeq, long PrunedSeq, IReadOnlyList<HistoryNotification> Notifications);
