namespace NotifyPush.Storage.Postgres;

/// <summary>What the store does when a unit of work finds its connection dead (a restart, a failover, a broken socket).</summary>
/// <remarks>
/// Either way, a connection lost before the work could have committed anything is retried once on a new connection:
/// after a restart every pooled connection is dead, and the first call of an idle replica must not pay for that.
/// The two differ only when the loss leaves the outcome unknown.
/// </remarks>
internal enum OnLostConnection
{
    /// <summary>
    /// The work is not safe to repeat (an append without an idempotency key). It runs in a transaction the store opens
    /// and commits; a connection lost before the <c>COMMIT</c> was sent committed nothing and is retried, one lost
    /// while the <c>COMMIT</c> was under way is in doubt and fails with
    /// <see cref="NotifyPush.Core.Storage.StoreUnavailableException"/>: doing it again could store it twice.
    /// </summary>
    Fail,

    /// <summary>Run it once more on a new connection whenever the connection was lost: doing it twice is the same as once (reads, acks, cleanup, keyed appends).</summary>
    RetryOnce,
}
