using NotifyPush.Core.Backplane;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>The backplane specification, against the shared test Redis; each test on its own channel prefix.</summary>
public sealed class RedisNotificationBackplaneTests : NotificationBackplaneSpecification
{
    protected override async Task<INotificationBackplane> CreateBackplaneAsync()
    {
        // The specification is about carrying frames: every frame it sends travels inline (the default limit sends
        // larger ones as user and seq only, see RedisMessageCodecTests).
        var backplane = RedisBackplanes.Create(TestEnvironment.RequireRedis(), RedisBackplanes.NewPrefix(), inlineFrameMaxBytes: 1024 * 1024);
        try
        {
            // Connecting happens in the background; a test starts once the backplane receives.
            await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, Timeout);
            return backplane;
        }
        catch
        {
            await backplane.DisposeAsync();
            throw;
        }
    }
}
