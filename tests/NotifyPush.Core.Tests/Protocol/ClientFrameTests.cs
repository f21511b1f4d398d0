using System.Text;
using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Tests.Protocol;

public sealed class ClientFrameTests
{
    [Theory]
    [InlineData("""{"type":"ack","seq":17}""", ClientFrameType.Ack, 17)]
    [InlineData("""{"seq":0,"type":"ack"}""", ClientFrameType.Ack, 0)]
    [InlineData("""{"type":"pong"}""", ClientFrameType.Pong, 0)]
    [InlineData("""{"type":"pong","extra":{"nested":[1,2]}}""", ClientFrameType.Pong, 0)]
    public void TryParse_WhenValid_ReturnsTheFrame(string json, ClientFrameType type, long seq)
    {
        Assert.True(ClientFrame.TryParse(Encoding.UTF8.GetBytes(json), out var frame, out var error), error);
        Assert.Equal(type, frame.Type);
        Assert.Equal(seq, frame.Seq);
    }

    [Fact]
    public void TryParse_WhenAuth_ReturnsTheToken()
    {
        Assert.True(ClientFrame.TryParse("""{"type":"auth","token":"abc.def.ghi"}"""u8, out var frame, out _));
        Assert.Equal(ClientFrameType.Auth, frame.Type);
        Assert.Equal("abc.def.ghi", frame.Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("""{"type":"ack"}""")]
    [InlineData("""{"type":"ack","seq":-1}""")]
    [InlineData("""{"type":"ack","seq":1.5}""")]
    [InlineData("""{"type":"ack","seq":"1"}""")]
    [InlineData("""{"type":"auth"}""")]
    [InlineData("""{"type":"auth","token":""}""")]
    [InlineData("""{"type":7}""")]
    [InlineData("""{"kind":"pong"}""")]
    [InlineData("""{"type":"subscribe"}""")]
    [InlineData("""{"type":"pong"} {"type":"pong"}""")]
    public void TryParse_WhenMalformed_FailsWithAReason(string json)
    {
        Assert.False(ClientFrame.TryParse(Encoding.UTF8.GetBytes(json), out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
