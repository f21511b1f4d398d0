namespace NotifyPush.Client.Subscribing;

/// <summary>
/// What a socket hands the enumerator, in arrival order: a notification, or the <c>synced</c> marker (kept in line so
/// the enumerator adopts the socket's position only after every replayed notification before it was processed).
/// </summary>
internal readonly record struct InboundItem(ReceivedNotification? Notification, long SyncedSeq, bool Recovered);
