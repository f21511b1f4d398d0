using System.Text;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Tests;

public sealed class FrameParserTests
{
    [Fact]
    public void Parse_OfANotification_ReadsSeqAndTheSendTimestampFromThePayload()
    {
        var frame = BenchSocket.Parse(Encoding.UTF8.GetBytes(
            """{"type":"notification","seq":17,"id":"x","event":"bench","payload":{"t":123456789,"pad":[1,2]},"createdAt":"2026-11-21T06:03:32Z"}"""));

        Assert.Equal(FrameKind.Notification, frame.Kind);
        Assert.Equal(17, frame.Seq);
        Assert.Equal(123456789, frame.SentTimestamp);
    }

    [Theory]
    [InlineData("""{"type":"ping"}""", "Ping")]
    [InlineData("""{"type":"synced","seq":3,"recovered":true}""", "Synced")]
    [InlineData("""{"type":"welcome","userId":"u","connectionId":"c","heartbeatSeconds":25,"protocol":1}""", "Welcome")]
    [InlineData("""{"type":"token-expiring","inSeconds":30}""", "Other")]
    public void Parse_OfControlFrames_ReadsTheirKind(string json, string kind) =>
        Assert.Equal(kind, BenchSocket.Parse(Encoding.UTF8.GetBytes(json)).Kind.ToString());
}
