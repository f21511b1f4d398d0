using System.Diagnostics;

namespace NotifyPush.Bench.Measurement;

/// <summary>
/// A lock-free latency histogram in microseconds with three significant digits (10 µs steps below 1 ms, then 1%
/// steps up to 1,000 s). Recording is one interlocked increment, so every receive loop of a worker can record
/// into one instance; workers send theirs to the coordinator as sparse (value, count) pairs to merge.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int LinearBuckets = 100;          // 0–999 µs in steps of 10 µs
    private const int BucketsPerDecade = 900;       // 100…999 × 10^e
    private const int Decades = 7;                  // up to 10^9 µs
    private const int BucketCount = LinearBuckets + (Decades * BucketsPerDecade);

    private readonly long[] _counts = new long[BucketCount];
    private long _count;
    private long _max;
    private long _sum;

    public long Count => Volatile.Read(ref _count);

    public long MaxMicros => Volatile.Read(ref _max);

    /// <summary>Records the time from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp, which on
    /// Linux is CLOCK_MONOTONIC and so comparable between processes of one machine) to now.</summary>
    public void RecordSince(long startTimestamp) =>
        Record(Math.Max(0, (long)((Stopwatch.GetTimestamp() - startTimestamp) * (1_000_000.0 / Stopwatch.Frequency))));

    public void Record(long micros, long count = 1)
    {
        Interlocked.Add(ref _counts[IndexOf(micros)], count);
        Interlocked.Add(ref _count, count);
        Interlocked.Add(ref _sum, micros * count);
        long max;
        while (micros > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, max) != max)
        {
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _sum, 0);
        Volatile.Write(ref _max, 0);
    }

    /// <summary>The smallest recorded bucket value at or above the <paramref name="percentile"/> (0–100), in µs.</summary>
    public long PercentileMicros(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        var rank = (long)Math.Ceiling(total * percentile / 100.0);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= Math.Max(1, rank))
            {
                return Math.Min(UpperBoundOf(i), MaxMicros);
            }
        }

        return MaxMicros;
    }

    public double MeanMicros => Count == 0 ? 0 : (double)Volatile.Read(ref _sum) / Count;

    /// <summary>Non-empty buckets as (representative µs, count), plus the exact maximum.</summary>
    public HistogramSnapshot Snapshot()
    {
        var buckets = new List<long[]>();
        for (var i = 0; i < BucketCount; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count > 0)
            {
                buckets.Add([LowerBoundOf(i), count]);
            }
        }

        return new HistogramSnapshot(buckets, MaxMicros);
    }

    public void Merge(HistogramSnapshot snapshot)
    {
        foreach (var pair in snapshot.Buckets)
        {
            Record(pair[0], pair[1]);
        }

        long max;
        while (snapshot.MaxMicros > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, snapshot.MaxMicros, max) != max)
        {
        }
    }

    public LatencySummary Summarize() => new(
        Count,
        Millis(PercentileMicros(50)),
        Millis(PercentileMicros(90)),
        Millis(PercentileMicros(99)),
        Millis(PercentileMicros(99.9)),
        Millis(MaxMicros),
        Math.Round(MeanMicros / 1000.0, 3));

    private static double Millis(long micros) => Math.Round(micros / 1000.0, 3);

    private static int IndexOf(long micros)
    {
        if (micros < 1000)
        {
            return (int)(micros / 10);
        }

        var exponent = 0;
        var scaled = micros;
        while (scaled >= 1000)
        {
            scaled /= 10;
            exponent++;
        }

        // scaled is 100…999; exponent ≥ 1.
        return exponent > Decades ? BucketCount - 1 : LinearBuckets + ((exponent - 1) * BucketsPerDecade) + (int)(scaled - 100);
    }

    private static long LowerBoundOf(int index)
    {
        if (index < LinearBuckets)
        {
            return index * 10L;
        }

        var exponent = ((index - LinearBuckets) / BucketsPerDecade) + 1;
        var mantissa = ((index - LinearBuckets) % BucketsPerDecade) + 100;
        return mantissa * (long)Math.Pow(10, exponent);
    }

    private static long UpperBoundOf(int index) => index + 1 < BucketCount ? LowerBoundOf(index + 1) - 1 : long.MaxValue;
}

/// <summary>A histogram on the wire between a worker and the coordinator.</summary>
internal sealed record HistogramSnapshot(List<long[]> Buckets, long MaxMicros);

/// <summary>Latency percentiles in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs);
