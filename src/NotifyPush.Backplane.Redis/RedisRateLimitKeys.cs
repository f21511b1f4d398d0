using System.Text;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The one place where rate-limit keys are built: <c>{prefix}:ratelimit:{{caller}}</c>, one string per service caller
/// holding its GCRA "theoretical arrival time" in microseconds and expiring once the caller's budget is whole again.
/// The caller's name is the key's hash tag, so on a Redis Cluster each caller's key lives in one slot and the callers
/// spread over the shards; every script touches that one key only.
/// </summary>
internal sealed class RedisRateLimitKeys(string prefix)
{
    private readonly byte[] _head = RedisChannels.StrictUtf8.GetBytes(prefix + ":ratelimit:{");
    private static readonly byte[] Tail = "}"u8.ToArray();

    /// <exception cref="EncoderFallbackException">The caller's name is not valid UTF-16.</exception>
    public RedisKey Caller(string caller)
    {
        var name = RedisChannels.StrictUtf8.GetBytes(caller);
        var key = new byte[_head.Length + name.Length + Tail.Length];
        _head.CopyTo(key, 0);
        name.CopyTo(key, _head.Length);
        Tail.CopyTo(key, _head.Length + name.Length);
        return key;
    }
}
