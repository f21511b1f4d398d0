namespace NotifyPush.Client.Resilience;

/// <summary>
/// Exponential backoff with full jitter: the delay before retry <c>attempt</c> (0 for the first) is a uniformly random
/// time in [0, min(max, first × 2^attempt)). Spreading every retry over the whole window keeps clients that failed
/// together (a replica restart) from coming back together.
/// </summary>
internal static class FullJitterBackoff
{
    /// <summary>The upper bound of the window of retry <paramref name="attempt"/>.</summary>
    public static TimeSpan Ceiling(int attempt, TimeSpan first, TimeSpan max)
    {
        if (first <= TimeSpan.Zero || max <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        // 2^62 ticks is beyond any sensible cap: stop doubling well before the arithmetic overflows.
        var exponent = Math.Clamp(attempt, 0, 62);
        var ticks = first.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay of retry <paramref name="attempt"/> for a <paramref name="sample"/> in [0, 1).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max, double sample) =>
        TimeSpan.FromTicks((long)(Ceiling(attempt, first, max).Ticks * Math.Clamp(sample, 0, 1)));

    /// <summary>The delay of retry <paramref name="attempt"/> with a random sample.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max) =>
        Delay(attempt, first, max, Random.Shared.NextDouble());
}
