namespace NotifyPush.Bench.Measurement;

/// <summary>Where a measured phase started: each replica's CPU seconds (null when unknown), the sockets' receipts and the time.</summary>
internal sealed record CpuMark(double?[] CpuSeconds, long Received, long Timestamp);
