using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// A rate limit per service caller shared by every replica on the same Redis: one budget per caller, whichever
/// replica its requests reach. GCRA (the token bucket's equivalent in one number) in a Lua script, one round trip.
/// </summary>
/// <remarks>
/// The script reads Redis's clock (<c>TIME</c>), so the replicas' clocks never have to agree. When Redis cannot answer
/// within the caller's timeout the limiter answers "unknown" and the host falls back to its own per-replica limiter:
/// a Redis outage must not refuse every send (the store, not Redis, holds the notifications).
/// </remarks>
public sealed partial class RedisSendRateLimiter
{
    // KEYS[1]: the caller's key. ARGV[1]: microseconds between two requests at the sustained rate. ARGV[2]: burst.
    // Returns 0 when the request is allowed (and records it), else the microseconds until it would be.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local interval = tonumber(ARGV[1])
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local next_tat = tat + interval
        local allow_at = next_tat - interval * tonumber(ARGV[2])
        if allow_at > now then
          return math.ceil(allow_at - now)
        end
        redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1)
        return 0
        """;

    private readonly RedisConnection _connection;
    private readonly RedisRateLimitKeys _keys;
    private readonly ILogger _logger;
    private readonly LogOnce _failures = new();

    public RedisSendRateLimiter(RedisConnection connection, IOptions<RedisBackplaneOptions> options, ILogger<RedisSendRateLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _keys = new RedisRateLimitKeys(options.Value.ChannelPrefix);
        _logger = logger;
    }

    /// <summary>
    /// Takes one request of <paramref name="caller"/>'s shared budget (<paramref name="perSecond"/> sustained,
    /// <paramref name="burst"/> at once). Null when Redis did not answer within <paramref name="timeout"/>: the caller
    /// then decides locally.
    /// </summary>
    public async Task<SharedRateLimitDecision?> TryAcquireAsync(string caller, int perSecond, int burst, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var multiplexer = _connection.Multiplexer;
        if (multiplexer is null || !multiplexer.IsConnected)
        {
            ReportUnavailable(null);
            return null;
        }

        try
        {
            var intervalMicroseconds = Math.Max(1, 1_000_000 / perSecond);
            var result = await multiplexer.GetDatabase()
                .ScriptEvaluateAsync(Script, [_keys.Caller(caller)], [intervalMicroseconds.ToString(CultureInfo.InvariantCulture), burst.ToString(CultureInfo.InvariantCulture)])
                .WaitAsync(timeout, cancellationToken)
                .ConfigureAwait(false);
            var waitMicroseconds = (long)result;
            if (_failures.Succeed())
            {
                Log.Recovered(_logger);
            }

            return waitMicroseconds <= 0
                ? new SharedRateLimitDecision(true, TimeSpan.Zero)
                : new SharedRateLimitDecision(false, TimeSpan.FromTicks(waitMicroseconds * 10));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // A timeout, a connection lost mid-call, a script refused by an ACL: decided locally instead.
            ReportUnavailable(ex);
            return null;
        }
    }

    private void ReportUnavailable(Exception? exception)
    {
        if (_failures.Fail())
        {
            Log.Unavailable(_logger, exception);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.RedisRateLimitUnavailable, Level = LogLevel.Warning,
            Message = "The cluster-wide send rate limit in Redis is unavailable; each replica limits its callers on its own until Redis answers again.")]
        public static partial void Unavailable(ILogger logger, Exception? exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisRateLimitRecovered, Level = LogLevel.Information,
            Message = "The cluster-wide send rate limit in Redis answers again.")]
        public static partial void Recovered(ILogger logger);
    }
}
