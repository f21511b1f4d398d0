using System.Text;
using System.Text.Json;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Tests.Protocol;

public sealed class ServerFramesTests
{
    [Fact]
    public void Notification_PutsTypeFirstAndKeepsThePayloadAsJson()
    {
        var id = Guid.NewGuid();
        var created = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
        var frame = ServerFrames.Notification(new StoredNotification("u1", 17, id, "order.shipped", """{"order":{"id":42,"items":["a","ü"]}}""", created, created.AddDays(7)));
        var text = Encoding.UTF8.GetString(frame);

        Assert.StartsWith("""{"type":"notification",""", text);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.Equal(17, root.GetProperty("seq").GetInt64());
        Assert.Equal(id, root.GetProperty("id").GetGuid());
        Assert.Equal("order.shipped", root.GetProperty("event").GetString());
        Assert.Equal(42, root.GetProperty("payload").GetProperty("order").GetProperty("id").GetInt32());
        Assert.Equal("ü", root.GetProperty("payload").GetProperty("order").GetProperty("items")[1].GetString());
        Assert.Equal("2026-11-21T10:00:00Z", root.GetProperty("createdAt").GetString());
    }

    [Fact]
    public void NotificationHeadThenTheSharedTail_IsTheWholeFrameByteForByte()
    {
        var created = new DateTimeOffset(2026, 11, 21, 10, 0, 0, 123, TimeSpan.Zero);
        const string payload = """{ "kept" : [1, 2.50, "ü"], "createdAt": "not the frame's" }""";
        var tail = ServerFrames.NotificationTail(payload, created);

        foreach (var seq in new long[] { 1, 9, 10, long.MaxValue })
        {
            var notification = new StoredNotification("u1", seq, Guid.NewGuid(), "order \"shipped\"", payload, created, created.AddDays(7));

            byte[] joined = [.. ServerFrames.NotificationHead(notification), .. tail];
            Assert.Equal(Encoding.UTF8.GetString(ServerFrames.Notification(notification)), Encoding.UTF8.GetString(joined));
        }

        // The tail ends the frame, so the createdAt read from it is the frame's, not the payload's.
        Assert.True(ServerFrames.TryReadCreatedAt(tail, out var ticks));
        Assert.Equal(created.UtcTicks, ticks);
    }

    [Fact]
    public void ControlFrames_MatchTheProtocol()
    {
        Assert.Equal("""{"type":"welcome","userId":"u1","connectionId":"c1","heartbeatSeconds":25,"protocol":1}""", Encoding.UTF8.GetString(ServerFrames.Welcome("u1", "c1", 25)));
        Assert.Equal("""{"type":"synced","seq":17,"recovered":true}""", Encoding.UTF8.GetString(ServerFrames.Synced(17, true)));
        Assert.Equal("""{"type":"ping"}""", Encoding.UTF8.GetString(ServerFrames.Ping.Span));
        Assert.Equal("""{"type":"token-expiring","inSeconds":30}""", Encoding.UTF8.GetString(ServerFrames.TokenExpiring(30)));
    }
}
