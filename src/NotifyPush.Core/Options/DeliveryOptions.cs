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
}
