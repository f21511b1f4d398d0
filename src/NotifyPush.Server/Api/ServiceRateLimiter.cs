using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using NotifyPush.Backplane.Redis;

namespace NotifyPush.Server.Api;

/// <summary>
/// A token bucket per service credential, so one noisy service cannot starve the others. With the Redis backplane the
/// bucket is one for the whole cluster (<see cref="RedisSendRateLimiter"/>); this replica's own bucket decides only
/// while Redis does not answer, and is the only one on the in-process backplane.
/// </summary>
public sealed class ServiceRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly RedisSendRateLimiter? _shared;
    private readonly ApiOptions _settings;

    public ServiceRateLimiter(IOptions<ApiOptions> options, RedisSendRateLimiter? shared = null)
    {
        var settings = options.Value;
        _settings = settings;
        _shared = shared;
        if (settings.RateLimitPerSecond == 0)
        {
            return;
        }

        // One token every 1/rate seconds (never coarser than 1 ms): the configured rate exactly, and a service
        // that used its burst waits for the next token, not for a whole second.
        var (period, tokens) = settings.RateLimitPerSecond <= 1000
            ? (TimeSpan.FromTicks(TimeSpan.TicksPerSecond / settings.RateLimitPerSecond), 1)
            : (TimeSpan.FromMilliseconds(1), (int)Math.Ceiling(settings.RateLimitPerSecond / 1000.0));
        _limiter = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.RateLimitBurst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>
    /// Takes one permit for <paramref name="caller"/>: from the cluster's budget in Redis when there is one and it
    /// answers in time, else from this replica's (fail open locally: a Redis outage must not refuse every send).
    /// </summary>
    public async ValueTask<(bool Allowed, TimeSpan RetryAfter)> TryAcquireAsync(string caller, CancellationToken cancellationToken)
    {
        if (_limiter is null)
        {
            return (true, TimeSpan.Zero);
        }

        if (_shared is not null)
        {
            var timeout = TimeSpan.FromMilliseconds(_settings.SharedRateLimitTimeoutMilliseconds);
            if (await _shared.TryAcquireAsync(caller, _settings.RateLimitPerSecond, _settings.RateLimitBurst, timeout, cancellationToken) is { } decision)
            {
                return (decision.Allowed, decision.RetryAfter);
            }
        }

        var allowed = TryAcquire(caller, out var retryAfter);
        return (allowed, retryAfter);
    }

    /// <summary>Takes one permit of this replica's own bucket for <paramref name="caller"/>; on refusal returns how long to wait.</summary>
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
