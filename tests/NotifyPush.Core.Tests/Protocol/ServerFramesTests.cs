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
    public void ControlFrames_MatchTheProtocol()
    {
        Assert.Equal("""{"type":"welcome","userId":"u1","connectionId":"c1","heartbeatSeconds":25}""", Encoding.UTF8.GetString(ServerFrames.Welcome("u1", "c1", 25)));
        Assert.Equal("""{"type":"synced","seq":17,"recovered":true}""", Encoding.UTF8.GetString(ServerFrames.Synced(17, true)));
        Assert.Equal("""{"type":"ping"}""", Encoding.UTF8.GetString(ServerFrames.Ping.Span));
        Assert.Equal("""{"type":"token-expiring","inSeconds":30}""", Encoding.UTF8.GetString(ServerFrames.TokenExpiring(30)));
    }
}
