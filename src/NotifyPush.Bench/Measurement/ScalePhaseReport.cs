namespace NotifyPush.Bench.Measurement;

/// <summary>
/// One phase of the scale scenario: before the faults, around one fault (from the kill until the settle time after
/// the promotion has passed), or after the last. POST answers are counted when they arrive, latency by receipt time.
/// </summary>
internal sealed class ScalePhaseReport
{
    /// <summary><c>before</c>, <c>redis-master-kill</c>, <c>postgres-failover</c> or <c>after</c>.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>What was done, e.g. which master was killed and how the replica took over.</summary>
    public string? Fault { get; set; }

    /// <summary>Seconds from the start of the load to the start of the phase.</summary>
    public double StartSeconds { get; set; }

    public double DurationSeconds { get; set; }

    /// <summary>POST attempts answered 202.</summary>
    public long Posts202 { get; set; }

    /// <summary>POST attempts answered 503 (each retried with its key after <c>Retry-After</c>).</summary>
    public long Posts503 { get; set; }

    /// <summary>Every other answer by kind: a status code (500 would be a defect), an exception, <c>timeout</c>.</summary>
    public SortedDictionary<string, long> PostsOther { get; set; } = new(StringComparer.Ordinal);

    /// <summary>POST→tab latency of the notifications received in the phase (the payload's send time to the frame).</summary>
    public LatencySummary? Latency { get; set; }

    /// <summary>From the kill until the replica (Redis) or standby (PostgreSQL) was seen promoted and serving.</summary>
    public double? FaultToPromotedSeconds { get; set; }

    /// <summary>From the kill until the first 202 to a POST attempt started after it.</summary>
    public double? FaultToFirst202Seconds { get; set; }

    /// <summary>From the kill until the last 503 of the phase: how long callers were told to retry.</summary>
    public double? FaultToLast503Seconds { get; set; }

    /// <summary>
    /// From the kill until a socket received a notification sent after it; read from the workers' 200 ms status lines,
    /// so within about 0.25 s.
    /// </summary>
    public double? FaultToFirstDeliverySeconds { get; set; }

    /// <summary>Sockets that reconnected with <c>since</c> during the phase (closed by a replica, e.g. 1011 while the store was away).</summary>
    public long Resumes { get; set; }

    /// <summary>User + system CPU of the 4 replicas in the phase.</summary>
    public double ReplicaCpuSeconds { get; set; }

    /// <summary>User + system CPU of the redis-server processes (not the sentinels) in the phase.</summary>
    public double RedisCpuSeconds { get; set; }

    /// <summary>User + system CPU of the PostgreSQL processes (both postmasters and their children) in the phase.</summary>
    public double PostgresCpuSeconds { get; set; }

    /// <summary>Notifications the sockets received in the phase (replays included).</summary>
    public long Delivered { get; set; }

    /// <summary>Replica CPU per notification received in the phase, in microseconds.</summary>
    public double? ReplicaMicrosPerDelivered => Delivered > 0 ? Math.Round(ReplicaCpuSeconds * 1e6 / Delivered, 1) : null;

    /// <summary>Redis CPU per 202 in the phase (one publish each), in microseconds.</summary>
    public double? RedisMicrosPerPublish => Posts202 > 0 ? Math.Round(RedisCpuSeconds * 1e6 / Posts202, 1) : null;

    /// <summary>PostgreSQL CPU per 202 in the phase (one stored row each, commit shared by group commit), in microseconds.</summary>
    public double? PostgresMicrosPerNotification => Posts202 > 0 ? Math.Round(PostgresCpuSeconds * 1e6 / Posts202, 1) : null;
}
