using System.Text;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The one place where Redis channel names are built: <c>{prefix}:user:{userId}</c>, always literal; on a Redis
/// Cluster a shard channel (<see cref="RedisChannel.Sharded(byte[])"/>: SSUBSCRIBE/SPUBLISH, routed by the name's
/// slot like a key), so a user's doorbell only travels within the shard that owns that slot.
/// </summary>
/// <remarks>
/// Every channel is created with <see cref="RedisChannel.Literal(byte[])"/>, so a user id such as <c>*</c>,
/// <c>a*</c> or <c>[x]</c> is sent with SUBSCRIBE, never PSUBSCRIBE, and cannot match other users' channels.
/// The prefix cannot contain <c>:</c> (see <c>RedisBackplaneOptions.ChannelPrefix</c>) and the user id is the whole
/// rest of the name, so two different (prefix, user id) pairs never give the same channel.
/// </remarks>
internal sealed class RedisChannels
{
    // Strict: a user id with a lone surrogate is refused instead of being folded into U+FFFD, which
    // would give two different user ids the same channel.
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _userChannelPrefix;

    private readonly bool _sharded;

    public RedisChannels(string prefix, bool sharded = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("The channel prefix must not contain ':'.", nameof(prefix));
        }

        Prefix = prefix;
        _sharded = sharded;
        _userChannelPrefix = Encoding.UTF8.GetBytes(prefix + ":user:");
    }

    /// <summary>The deployment's prefix, e.g. <c>notifypush</c>.</summary>
    public string Prefix { get; }

    /// <summary>The literal (or, on a cluster, shard) channel that carries the messages of one user.</summary>
    /// <exception cref="ArgumentException">The user id is empty or is not valid UTF-16.</exception>
    public RedisChannel User(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        int length;
        try
        {
            length = StrictUtf8.GetByteCount(userId);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The user id is not valid UTF-16 (it contains a lone surrogate).", nameof(userId), ex);
        }

        var name = new byte[_userChannelPrefix.Length + length];
        _userChannelPrefix.CopyTo(name, 0);
        StrictUtf8.GetBytes(userId, 0, userId.Length, name, _userChannelPrefix.Length);
        return _sharded ? RedisChannel.Sharded(name) : RedisChannel.Literal(name);
    }
}
