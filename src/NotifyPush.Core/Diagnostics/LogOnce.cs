namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// "Log once per outage": the first failure of a run of failures is worth a warning, the rest are not, and the first
/// success after them is worth saying so. Thread-safe; one instance per condition.
/// </summary>
public sealed class LogOnce
{
    private int _failing;

    /// <summary>True while a failure was recorded and no success since.</summary>
    public bool IsFailing => Volatile.Read(ref _failing) != 0;

    /// <summary>Records a failure; true only for the first one since the last success (log it).</summary>
    public bool Fail() => Interlocked.Exchange(ref _failing, 1) == 0;

    /// <summary>Records a success; true only when it ends a run of failures (log the recovery).</summary>
    public bool Succeed() => Volatile.Read(ref _failing) != 0 && Interlocked.Exchange(ref _failing, 0) != 0;
}
