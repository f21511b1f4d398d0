using System.Net.WebSockets;
using System.Text;
using NotifyPush.Server.Endpoints;

namespace NotifyPush.Server.Tests;

/// <summary>Several frames per transport write: the cork under every notification socket.</summary>
public sealed class CoalescingStreamTests
{
    [Fact]
    public async Task Corked_FramesGoOutInOneWrite_AndAreStillSeparateMessages()
    {
        var transport = new CountingStream();
        var stream = new CoalescingStream(transport);
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        stream.Cork();
        for (var i = 1; i <= 5; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"notification","seq":{{i}}}"""), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }

        Assert.Equal(0, transport.Writes);
        await stream.UncorkAsync();
        Assert.Equal(1, transport.Writes);

        Assert.Equal(Enumerable.Range(1, 5).Select(i => $$"""{"type":"notification","seq":{{i}}}"""), await ReadMessagesAsync(transport.Written, 5));
    }

    [Fact]
    public async Task Uncorked_EachFrameIsWrittenAtOnce()
    {
        var transport = new CountingStream();
        var stream = new CoalescingStream(transport);
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });

        await socket.SendAsync("""{"type":"ping"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        Assert.Equal(1, transport.Writes);
        await socket.SendAsync("""{"type":"ping"}"""u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        Assert.Equal(2, transport.Writes);
    }

    [Fact]
    public async Task Corked_MoreThanTheBoundIsWrittenAlongTheWay_InOrder()
    {
        var transport = new CountingStream();
        var stream = new CoalescingStream(transport);
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var frame = new string('x', 20_000);

        stream.Cork();
        for (var i = 0; i < 10; i++)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes($"{i}{frame}"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }

        // 10 frames of 20 KB: at most 64 KB gathered at a time, so a few writes before the uncork, not ten.
        Assert.InRange(transport.Writes, 2, 4);
        await stream.UncorkAsync();
        var messages = await ReadMessagesAsync(transport.Written, 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i}{frame}"), messages);
    }

    private static async Task<List<string>> ReadMessagesAsync(byte[] wire, int count)
    {
        using var client = WebSocket.CreateFromStream(new MemoryStream(wire), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        var messages = new List<string>();
        var buffer = new byte[64 * 1024];
        while (messages.Count < count)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer, CancellationToken.None);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            messages.Add(Encoding.UTF8.GetString(message.ToArray()));
        }

        return messages;
    }

    /// <summary>A transport that records what was written and how many writes it took.</summary>
    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }

        public byte[] Written => _written.ToArray();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            _written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override void Flush()
        {
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
