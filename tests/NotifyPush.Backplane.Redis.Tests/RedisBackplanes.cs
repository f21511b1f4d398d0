using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Options;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>Creates Redis backplanes for tests, each test with its own channel prefix.</summary>
internal static class RedisBackplanes
{
    /// <summary>A prefix no other test uses.</summary>
    public static string NewPrefix() => $"test-{Guid.NewGuid():N}";

    /// <summary>Creates a backplane; it connects in the background.</summary>
    public static RedisNotificationBackplane Create(string configuration, string prefix, ILogger<RedisNotificationBackplane>? logger = null, int inlineFrameMaxBytes = 8 * 1024) =>
        new(
            Options.Create(new RedisBackplaneOptions { Configuration = configuration, ChannelPrefix = prefix, InlineFrameMaxBytes = inlineFrameMaxBytes }),
            logger ?? NullLogger<RedisNotificationBackplane>.Instance,
            TimeProvider.System);

    /// <summary>Polls the health until it reports the expected state.</summary>
    /// <remarks>Polled: the health has no change notification.</remarks>
    public static Task<BackplaneHealth> WaitForHealthAsync(INotificationBackplane backplane, bool expectConnected, TimeSpan timeout) =>
        Poll.UntilAsync(backplane.GetHealth, health => health.IsConnected == expectConnected, $"IsConnected={expectConnected}", timeout, health => health.ToString());
}
