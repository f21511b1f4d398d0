using System.Text.Json;

namespace NotifyPush.Testing;

/// <summary>
/// The reads a test makes of a frame sequence (a socket's frames, an event stream's events), given the reader of the
/// next frame: one deadline for the whole read, whatever frames come between.
/// </summary>
public static class FrameReads
{
    /// <summary>Skips frames until one of <paramref name="type"/> arrives and returns it.</summary>
    public static async Task<JsonElement> NextOfTypeAsync(Func<TimeSpan, Task<JsonElement>> next, string type, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var frame = await next(deadline - DateTime.UtcNow);
            if (frame.GetProperty("type").GetString() == type)
            {
                return frame;
            }
        }
    }

    /// <summary>Reads until <paramref name="count"/> notification frames arrived (skipping other types) and returns them.</summary>
    public static async Task<List<JsonElement>> ReadNotificationsAsync(Func<TimeSpan, Task<JsonElement>> next, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var result = new List<JsonElement>(count);
        while (result.Count < count)
        {
            var frame = await next(deadline - DateTime.UtcNow);
            if (frame.GetProperty("type").GetString() == "notification")
            {
                result.Add(frame);
            }
        }

        return result;
    }

    /// <summary>Reads the welcome, the replay and the synced frame; returns the replayed notifications and synced.</summary>
    public static async Task<(List<JsonElement> Replayed, JsonElement Synced)> ReadUntilSyncedAsync(Func<TimeSpan, Task<JsonElement>> next, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var replayed = new List<JsonElement>();
        while (true)
        {
            var frame = await next(deadline - DateTime.UtcNow);
            switch (frame.GetProperty("type").GetString())
            {
                case "notification":
                    replayed.Add(frame);
                    break;
                case "synced":
                    return (replayed, frame);
            }
        }
    }
}
