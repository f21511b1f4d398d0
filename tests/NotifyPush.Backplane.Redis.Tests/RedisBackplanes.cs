using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Options;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>Creates Redis backplanes for tests, each test with its own channel prefix.</summary>
internal static class RedisBackplanes
{
    /// <summary>A prefix no other test uses.</summary>
    public static string NewPrefix() => $"test-{Guid.NewGuid():N}";

    /// <summary>Creates a backplane; it connects in the background.</summary>
    public static RedisNotificationBackplane Create(string configuration, string prefix, ILogger<RedisNotificationBackplane>? logger = null) =>
        new(
            Options.Create(new BackplaneOptions { Provider = BackplaneProvider.Redis, Configuration = configuration, ChannelPrefix = prefix }),
            logger ?? NullLogger<RedisNotificationBackplane>.Instance,
            TimeProvider.System);

    /// <summary>Polls the health until it reports the expected state.</summary>
    public static async Task<BackplaneHealth> WaitForHealthAsync(INotificationBackplane backplane, bool expectConnected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var health = backplane.GetHealth();
            if (health.IsConnected == expectConnected)
            {
                return health;
            }

            if (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for IsConnected={expectConnected}; last health: {health}.");
            }

            // Polling a condition: the health has no change notification.
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
    }
}
