namespace NotifyPush.Bench.Measurement;

/// <summary>
/// Where a measured phase started: each replica's CPU seconds (null when unknown), the CPU seconds of every Redis and
/// PostgreSQL process by pid and of the PostgreSQL ones alone, the sockets' receipts, the notifications accepted, the
/// store's committed transactions (null without a reachable PostgreSQL) and the time.
/// </summary>
internal sealed record CpuMark(
    double?[] CpuSeconds,
    IReadOnlyDictionary<int, double> BackendCpuSeconds,
    IReadOnlyDictionary<int, double> PostgresCpuSeconds,
    long Received,
    long Accepted,
    long? Commits,
    long Timestamp);
