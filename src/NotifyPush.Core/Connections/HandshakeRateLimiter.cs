using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Connections;

/// <summary>
/// Slows a client that reconnects in a loop: a token bucket of socket handshakes per user id on this replica, taken
/// before the upgrade, so a refusal is a plain HTTP 429 with <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// Partitioned by a slot of the user id (a randomised hash onto <see cref="Slots"/> slots), not by the id itself:
/// however many user ids connect, the limiter holds at most that many buckets (a few MB), and the partitioned
/// limiter drops the buckets that are full again. Two users whose ids share a slot share its budget; with 65,536
/// slots and a per-process hash seed that is rare and cannot be aimed at. The buckets have no timer each: the
/// partitioned limiter replenishes them all from one.
/// </remarks>
public sealed class HandshakeRateLimiter : IDisposable
{
    /// <summary>Buckets the limiter holds at most.</summary>
    public const int Slots = 65_536;

    private readonly PartitionedRateLimiter<string> _limiter;

    public HandshakeRateLimiter(IOptions<ConnectionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        var period = TimeSpan.FromTicks(TimeSpan.TicksPerMinute / settings.HandshakesPerMinutePerUser);
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.HandshakeBurstPerUser,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, int>(userId => RateLimitPartition.GetTokenBucketLimiter(Slot(userId), _ => bucket));
    }

    /// <summary>Takes one handshake of <paramref name="userId"/>'s budget; on refusal says how long to wait.</summary>
    public bool TryAcquire(string userId, out TimeSpan retryAfter)
    {
        using var lease = _limiter.AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    public void Dispose() => _limiter.Dispose();

    // string.GetHashCode is seeded per process, so a client cannot pick ids that collide with a victim's.
    private static int Slot(string userId) => userId.GetHashCode(StringComparison.Ordinal) & (Slots - 1);
}
