using System.Text;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Backplane.Redis.Tests;

public sealed class RedisMessageCodecTests
{
    [Theory]
    [InlineData(BackplaneMessageKind.Notification, "u1", 1L, "{\"type\":\"notification\"}")]
    [InlineData(BackplaneMessageKind.Notification, "*", long.MaxValue, "")]
    [InlineData(BackplaneMessageKind.Disconnect, "Zoë 用户 🚀", 0L, "")]
    public void Decode_OfEncode_GivesBackTheMessage(BackplaneMessageKind kind, string userId, long seq, string frame)
    {
        var message = new BackplaneMessage(kind, userId, seq, Encoding.UTF8.GetBytes(frame));

        Assert.True(RedisMessageCodec.TryDecode(RedisMessageCodec.Encode(message), out var decoded, out var reason), reason);

        Assert.Equal(kind, decoded.Kind);
        Assert.Equal(userId, decoded.UserId);
        Assert.Equal(seq, decoded.Seq);
        Assert.Equal(Encoding.UTF8.GetBytes(frame), decoded.Frame.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16_384)]
    [InlineData(70_000)]
    public void Decode_OfEncode_WhenUserIdLengthCrossesVarIntBoundaries_GivesBackTheUserId(int length)
    {
        var userId = new string('x', length);

        Assert.True(RedisMessageCodec.TryDecode(RedisMessageCodec.Encode(new BackplaneMessage(BackplaneMessageKind.Notification, userId, 3, new byte[] { 1, 2 })), out var decoded, out _));

        Assert.Equal(userId, decoded.UserId);
        Assert.Equal(new byte[] { 1, 2 }, decoded.Frame.ToArray());
    }

    [Fact]
    public void Encode_LaysOutKindSeqUserIdAndFrame()
    {
        var payload = RedisMessageCodec.Encode(new BackplaneMessage(BackplaneMessageKind.Notification, "ab", 258, new byte[] { 9 }));

        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 1, 2, 2, (byte)'a', (byte)'b', 9 }, payload);
    }

    [Fact]
    public void Encode_WhenUserIdHasALoneSurrogate_Throws()
    {
        Assert.Throws<ArgumentException>(() => RedisMessageCodec.Encode(new BackplaneMessage(BackplaneMessageKind.Notification, "a\uD800", 1, default)));
    }

    [Fact]
    public void Encode_WhenTheFrameHasAHeadAndASharedTail_SendsThemAsOneFrame()
    {
        var message = new BackplaneMessage(BackplaneMessageKind.Notification, "u1", 5, Encoding.UTF8.GetBytes("{\"seq\":5,\"payload\":"))
        {
            FrameTail = Encoding.UTF8.GetBytes("[1,2]}"),
        };

        Assert.True(RedisMessageCodec.TryDecode(RedisMessageCodec.Encode(message), out var decoded, out var reason), reason);

        Assert.Equal("{\"seq\":5,\"payload\":[1,2]}", Encoding.UTF8.GetString(decoded.Frame.Span));
        Assert.True(decoded.FrameTail.IsEmpty);
    }

    [Fact]
    public void Encode_WhenTheFrameIsAboveTheInlineLimit_SendsUserAndSeqOnlyAsKind3()
    {
        var message = new BackplaneMessage(BackplaneMessageKind.Notification, "u1", 7, new byte[] { 1, 2, 3 }) { FrameTail = new byte[100] };

        var payload = RedisMessageCodec.Encode(message, inlineFrameMaxBytes: 102);

        // Kind 3, seq, user id and nothing else: the payload is not copied into the message.
        Assert.Equal(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 7, 2, (byte)'u', (byte)'1' }, payload);
        Assert.True(RedisMessageCodec.TryDecode(payload, out var decoded, out var reason), reason);
        Assert.Equal((BackplaneMessageKind.Notification, "u1", 7L), (decoded.Kind, decoded.UserId, decoded.Seq));
        Assert.True(decoded.IsFrameless);

        // At the limit it still travels whole.
        Assert.True(RedisMessageCodec.TryDecode(RedisMessageCodec.Encode(message, inlineFrameMaxBytes: 103), out var inline, out _));
        Assert.Equal(103, inline.Frame.Length);
    }

    public static TheoryData<byte[]?> Garbage() => new()
    {
        null,
        Array.Empty<byte>(),
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1 },                            // no user id length
        new byte[] { 4, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte)'u' },             // unknown kind
        new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte)'u', (byte)'{' },  // frameless notification with a frame
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte)'u' },             // notification with neither frame nor kind 3
        new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, (byte)'u' },             // kind 0
        new byte[] { 1, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, (byte)'u' },          // negative seq
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, (byte)'u' },             // empty user id
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 5, (byte)'u' },             // user id past the end
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, (byte)'u' }, // length over int.MaxValue
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 },     // length that never ends
        new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0xC3, 0x28 },            // user id not UTF-8
        Encoding.UTF8.GetBytes("{\"type\":\"notification\",\"seq\":1}"),
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void TryDecode_WhenPayloadIsGarbage_ReturnsFalseWithAReason(byte[]? payload)
    {
        Assert.False(RedisMessageCodec.TryDecode(payload, out _, out var reason));
        Assert.False(string.IsNullOrEmpty(reason));
    }

    [Fact]
    public void TryDecode_WhenPayloadIsRandom_NeverThrows()
    {
        var random = new Random(42);
        for (var i = 0; i < 10_000; i++)
        {
            var payload = new byte[random.Next(0, 40)];
            random.NextBytes(payload);

            var ok = RedisMessageCodec.TryDecode(payload, out var message, out _);

            if (ok)
            {
                Assert.False(string.IsNullOrEmpty(message.UserId));
                Assert.True(message.Seq >= 0);
            }
        }
    }
}
