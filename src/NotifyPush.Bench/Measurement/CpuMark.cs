namespace NotifyPush.Bench.Measurement;

/// <summary>
/// Where a measured phase started: each replica's CPU seconds (null when unknown), the CPU seconds of every Redis and
/// PostgreSQL process by pid, the sockets' receipts and the time.
/// </summary>
internal sealed record CpuMark(double?[] CpuSeconds, IReadOnlyDictionary<int, double> BackendCpuSeconds, long Received, long Timestamp);
