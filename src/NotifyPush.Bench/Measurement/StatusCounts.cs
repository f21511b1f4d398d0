using System.Diagnostics;

namespace NotifyPush.Bench.Measurement;

/// <summary>
/// The answers to POST attempts within one phase of the scale scenario: 202, 503, and everything else by kind, plus
/// the first 202 to an attempt started within the phase (how long after a fault sends were accepted again).
/// </summary>
internal sealed class StatusCounts(long phaseStartedTimestamp)
{
    private long _accepted;
    private long _unavailable;
    private long _firstAcceptedTimestamp;
    private long _lastUnavailableTimestamp;

    public long PhaseStartedTimestamp { get; } = phaseStartedTimestamp;

    public long Accepted => Volatile.Read(ref _accepted);

    public long Unavailable => Volatile.Read(ref _unavailable);

    /// <summary>Answers other than 202 and 503 (e.g. <c>500</c>, <c>HttpRequestException</c>, <c>timeout</c>).</summary>
    public ErrorCounts Other { get; } = new();

    /// <summary>The <see cref="Stopwatch"/> timestamp of the first 202 to an attempt started in the phase; 0 when none.</summary>
    public long FirstAcceptedTimestamp => Volatile.Read(ref _firstAcceptedTimestamp);

    public void OnAccepted(long attemptStartedTimestamp)
    {
        Interlocked.Increment(ref _accepted);
        if (attemptStartedTimestamp >= PhaseStartedTimestamp)
        {
            Interlocked.CompareExchange(ref _firstAcceptedTimestamp, Stopwatch.GetTimestamp(), 0);
        }
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp of the last 503 in the phase; 0 when none.</summary>
    public long LastUnavailableTimestamp => Volatile.Read(ref _lastUnavailableTimestamp);

    public void OnUnavailable()
    {
        Interlocked.Increment(ref _unavailable);
        var now = Stopwatch.GetTimestamp();
        long seen;
        while (now > (seen = Volatile.Read(ref _lastUnavailableTimestamp)) && Interlocked.CompareExchange(ref _lastUnavailableTimestamp, now, seen) != seen)
        {
        }
    }
}
