using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Api;

/// <summary>A token bucket per service credential, so one noisy service cannot starve the others.</summary>
public sealed class ServiceRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public ServiceRateLimiter(IOptions<ApiOptions> options)
    {
        var settings = options.Value;
        if (settings.RateLimitPerSecond == 0)
        {
            return;
        }

        // Refill in tenths of a second when the rate allows it, so a burst does not wait a whole second.
        var (period, tokens) = settings.RateLimitPerSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), settings.RateLimitPerSecond / 10)
            : (TimeSpan.FromSeconds(1), settings.RateLimitPerSecond);
        _limiter = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.RateLimitBurst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Takes one permit for <paramref name="caller"/>; on refusal returns how long to wait.</summary>
    public bool TryAcquire(string caller, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(caller);
        if (lease.IsAcquired)
        {
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        return false;
    }

    public void Dispose() => _limiter?.Dispose();
}
