using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// One wanted user's subscription: the handler registered in the multiplexer's table for the user's channel. Its
/// identity tells a message of the current subscription from one that was in flight when the user was unsubscribed
/// (and perhaps subscribed again).
/// </summary>
internal sealed class UserSubscription
{
    public UserSubscription(RedisNotificationBackplane backplane, string userId)
    {
        UserId = userId;
        Handler = (channel, message) => backplane.OnRedisMessage(this, channel, message);
    }

    public string UserId { get; }

    /// <summary>The handler as registered, also the key to unsubscribe exactly this subscription.</summary>
    public Action<RedisChannel, RedisValue> Handler { get; }
}
