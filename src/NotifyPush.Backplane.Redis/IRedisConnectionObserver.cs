using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// What <see cref="RedisConnection"/> reports while it creates the multiplexer. The backplane observes it: to an
/// operator it is the backplane that connects, so these become its health and its log lines.
/// </summary>
internal interface IRedisConnectionObserver
{
    /// <summary>An attempt to create the multiplexer begins.</summary>
    void OnConnecting(string endPoints);

    /// <summary>An attempt failed; the next follows after <paramref name="retryDelay"/>.</summary>
    void OnConnectFailed(TimeSpan retryDelay, Exception exception);

    /// <summary>Redis refused the user or password; the attempts go on, in case they are being rotated.</summary>
    void OnCredentialsRefused(string endPoints, string reason);

    /// <summary>The multiplexer exists (connected or still reconnecting); called once, unless the connection is being disposed.</summary>
    void OnConnected(ConnectionMultiplexer multiplexer);
}
