namespace NotifyPush.Bench.Measurement;

/// <summary>
/// The scale scenario's result: the topology, each phase, and the end-of-run check of every socket against the
/// notifications that got 202 (0 lost, 0 duplicated, 0 out of order is the bar; latency is reported, not judged).
/// </summary>
internal sealed class ScaleReport
{
    /// <summary><c>cluster</c> (3 masters + 3 replicas) or <c>sentinel</c> (master, replica, 3 sentinels).</summary>
    public string Redis { get; set; } = string.Empty;

    /// <summary>The replicas' <c>NotifyPush:Backplane:Mode</c>.</summary>
    public string BackplaneMode { get; set; } = string.Empty;

    /// <summary>The faults run, in order: <c>redis</c>, <c>postgres</c>.</summary>
    public List<string> Faults { get; set; } = [];

    public double SettleSeconds { get; set; }

    public List<ScalePhaseReport> Phases { get; set; } = [];

    /// <summary>Notifications the sockets did not get (below the last seq that got 202, and holes).</summary>
    public long Lost { get; set; }

    public long Duplicated { get; set; }

    /// <summary>Seqs that arrived after a higher one (a hole filled later counts here and, unless filled, in lost).</summary>
    public long OutOfOrder { get; set; }

    /// <summary>Sockets whose last seq was below the last one that got 202.</summary>
    public long SocketsBehind { get; set; }

    /// <summary>Sends never answered 202 within the retry window (not counted as lost: nobody was told they were stored).</summary>
    public long GaveUp { get; set; }

    /// <summary>Sockets open at the end (closed ones resume; all should be open).</summary>
    public long OpenAtEnd { get; set; }
}
