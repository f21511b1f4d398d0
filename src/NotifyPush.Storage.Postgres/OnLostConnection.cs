namespace NotifyPush.Storage.Postgres;

/// <summary>What the store does when a unit of work finds its pooled connection dead (a restart, a failover).</summary>
internal enum OnLostConnection
{
    /// <summary>
    /// Fail with <see cref="NotifyPush.Core.Storage.StoreUnavailableException"/>: the work may have taken effect before
    /// the connection died, and doing it again could do it twice (an append without an idempotency key).
    /// </summary>
    Fail,

    /// <summary>Run it once more on a new connection: doing it twice is the same as once (reads, acks, cleanup, keyed appends).</summary>
    RetryOnce,
}
