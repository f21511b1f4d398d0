namespace NotifyPush.Core.Connections;

/// <summary>
/// A token bucket kept in two fields of the socket that owns it, for per-socket limits such as in-band
/// <c>auth</c> frames. Not thread-safe: only the socket's receive loop uses it.
/// </summary>
/// <remarks>
/// Not System.Threading.RateLimiting's <c>TokenBucketRateLimiter</c>: that is an object per socket with its own
/// lock and, to replenish on its own, a timer each; a replica holding 100,000 sockets would keep 100,000 timers for
/// a limit that is checked only when a client sends an <c>auth</c> frame. This bucket refills lazily from the
/// elapsed time when it is asked, with the socket's <see cref="TimeProvider"/>.
/// </remarks>
internal struct SocketTokenBucket
{
    private double _spent;   // tokens taken and not yet refilled; 0 is a full bucket
    private long _stamp;     // TimeProvider timestamp of the last refill; 0 before the first take

    /// <summary>Takes one token of a bucket holding <paramref name="burst"/> that refills <paramref name="perMinute"/> a minute.</summary>
    public bool TryTake(TimeProvider time, int burst, int perMinute)
    {
        var now = time.GetTimestamp();
        if (_stamp != 0)
        {
            var refilled = time.GetElapsedTime(_stamp, now).TotalMinutes * perMinute;
            _spent = Math.Max(0, _spent - refilled);
        }

        _stamp = now;
        if (_spent + 1 > burst)
        {
            return false;
        }

        _spent++;
        return true;
    }
}
