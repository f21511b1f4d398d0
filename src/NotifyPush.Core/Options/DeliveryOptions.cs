using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>Replay and acknowledgement behaviour. Section <c>NotifyPush:Delivery</c>.</summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "NotifyPush:Delivery";

    /// <summary>
    /// Most notifications replayed when a socket opens. When more are pending, the newest this many are replayed
    /// (oldest first) and <c>synced.recovered</c> is false. Default 10000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxReplayCount { get; set; } = 10_000;

    /// <summary>Rows read from the store per replay or gap-fill query. Default 500.</summary>
    [Range(1, 100_000)]
    public int ReplayPageSize { get; set; } = 500;

    /// <summary>
    /// Seconds between two position checks of this replica: the head of every local user's stream is read from the
    /// store (in batches of <see cref="PositionCheckBatchSize"/>) and every socket behind it is caught up. A committed
    /// notification whose doorbell was lost reaches an open socket within this plus a read. Default 10.
    /// </summary>
    [Range(1, 3600)]
    public int PositionCheckSeconds { get; set; } = 10;

    /// <summary>Users whose stream heads one position-check query reads. Default 1000.</summary>
    [Range(1, 10_000)]
    public int PositionCheckBatchSize { get; set; } = 1000;

    /// <summary>
    /// Store reads that replays, gap fills and catch-ups may have in flight at once on this replica; more wait their
    /// turn. Sends never wait for this budget, so sockets reconnecting with <c>since=0</c> in a loop cannot take every
    /// pooled store connection from them. Keep it well below the store's pool size (Npgsql <c>Maximum Pool Size</c>,
    /// default 100). Default 16.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxConcurrentReplayReads { get; set; } = 16;

    /// <summary>Milliseconds acknowledgements are coalesced before one store write. Default 1000.</summary>
    [Range(10, 60_000)]
    public int AckFlushIntervalMilliseconds { get; set; } = 1000;

    /// <summary>
    /// Most doorbells (one per recipient of a committed send) waiting for the backplane. Beyond it, or beyond
    /// <see cref="DoorbellQueueBytes"/>, only the newest doorbell per user is kept, without its frame, and rings once
    /// the queue has drained; its sockets read the notification from the store. Default 100000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int DoorbellQueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// Most bytes the doorbells waiting for the backplane may hold: each recipient's frame head and user id, plus each
    /// send's payload once (its recipients share it). Also the bound of the doorbells kept per user beyond it.
    /// Default 67108864 (64 MiB).
    /// </summary>
    [Range(64 * 1024, 16L * 1024 * 1024 * 1024)]
    public long DoorbellQueueBytes { get; set; } = 64L * 1024 * 1024;
}
