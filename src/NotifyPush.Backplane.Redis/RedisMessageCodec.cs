using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Unicode;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The binary wire format of one backplane message on a Redis channel.
/// </summary>
/// <remarks>
/// <code>
/// byte     kind           1 Notification, 2 Disconnect, 3 Notification without its frame (the receiver reads it from
///                         the store); with the high bit (0x80) set, a trace context follows the seq
/// int64    seq            big-endian, 0 or more
/// [byte[16] traceId, byte[8] spanId, byte traceFlags]   only with 0x80: the W3C context of the traced send
/// varint   userIdLength   7-bit groups, low group first (as BinaryWriter.Write7BitEncodedInt), 1-5 bytes
/// byte[]   userId         UTF-8, 1 or more bytes
/// byte[]   frame          the rest of the payload, the publisher's serialized frame, sent as is (none for kind 3)
/// </code>
/// A frame above the inline limit (<c>NotifyPush:Backplane:InlineFrameMaxBytes</c>) travels as kind 3, user and seq
/// only: a fan-out's messages would otherwise each carry the whole payload, multiplying it by the recipient count on
/// the wire, in Redis's output buffers and in the sender's publish batch. Kind 3 is a kind an older replica does not
/// know: it drops the message as malformed, and its sockets fill that seq from the store with the next notification,
/// the periodic position check or a reconnect.
/// The kind byte doubles as the format's version: a later format uses new kind values, which this decoder
/// rejects as malformed rather than misreads. The trace context is written only for a send that was traced (sampled),
/// so with tracing off the format is the first one's, byte for byte; a replica older than the 0x80 flag drops a traced
/// message as malformed and its sockets fill that seq from the store with the next notification or reconnect. The user id is repeated inside the message (it is also in the
/// channel name) so that the receiver can check that the two agree.
/// </remarks>
internal static class RedisMessageCodec
{
    private const int HeaderLength = 1 + sizeof(long);
    private const byte TracedFlag = 0x80;
    private const int TraceContextLength = 16 + 8 + 1;
    private const int MaxVarIntLength = 5;

    /// <summary>The wire kind of a notification sent without its frame.</summary>
    private const byte FramelessNotification = 3;

    /// <summary>
    /// Serializes <paramref name="message"/> into a new array, copying its frame once; a notification whose frame is
    /// larger than <paramref name="inlineFrameMaxBytes"/> (or has none) is written without it (kind 3).
    /// </summary>
    /// <exception cref="ArgumentException">The user id is empty or is not valid UTF-16.</exception>
    public static byte[] Encode(in BackplaneMessage message, int inlineFrameMaxBytes = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(message.UserId, nameof(message));
        int userIdLength;
        try
        {
            userIdLength = RedisChannels.StrictUtf8.GetByteCount(message.UserId);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException("The user id is not valid UTF-16 (it contains a lone surrogate).", nameof(message), ex);
        }

        var frameless = message.Kind == BackplaneMessageKind.Notification && (message.FrameLength == 0 || message.FrameLength > inlineFrameMaxBytes);
        var frameLength = frameless ? 0 : message.FrameLength;
        var traced = message.TraceContext != default;
        var header = HeaderLength + (traced ? TraceContextLength : 0);
        var payload = new byte[header + VarIntLength(userIdLength) + userIdLength + frameLength];
        var span = payload.AsSpan();

        var kind = frameless ? FramelessNotification : (byte)message.Kind;
        span[0] = (byte)(kind | (traced ? TracedFlag : 0));
        BinaryPrimitives.WriteInt64BigEndian(span[1..], message.Seq);
        if (traced)
        {
            message.TraceContext.TraceId.CopyTo(span.Slice(HeaderLength, 16));
            message.TraceContext.SpanId.CopyTo(span.Slice(HeaderLength + 16, 8));
            span[HeaderLength + 24] = (byte)message.TraceContext.TraceFlags;
        }

        var offset = header + WriteVarInt(span[header..], userIdLength);
        offset += RedisChannels.StrictUtf8.GetBytes(message.UserId, span[offset..]);
        if (!frameless)
        {
            message.Frame.Span.CopyTo(span[offset..]);
            message.FrameTail.Span.CopyTo(span[(offset + message.Frame.Length)..]);
        }

        return payload;
    }

    /// <summary>
    /// Reads a payload written by <see cref="Encode"/>. Never throws: anything else yields false and a short reason.
    /// The returned frame is a slice of <paramref name="payload"/>, not a copy.
    /// </summary>
    public static bool TryDecode(byte[]? payload, out BackplaneMessage message, out string reason)
    {
        message = default;
        if (payload is null || payload.Length < HeaderLength + 2)
        {
            reason = "shorter than the smallest message";
            return false;
        }

        var traced = (payload[0] & TracedFlag) != 0;
        var wireKind = (byte)(payload[0] & ~TracedFlag);
        var frameless = wireKind == FramelessNotification;
        var kind = frameless ? BackplaneMessageKind.Notification : (BackplaneMessageKind)wireKind;
        if (kind is not (BackplaneMessageKind.Notification or BackplaneMessageKind.Disconnect))
        {
            reason = $"unknown kind {payload[0]}";
            return false;
        }

        var header = HeaderLength + (traced ? TraceContextLength : 0);
        if (payload.Length < header + 2)
        {
            reason = "shorter than the smallest traced message";
            return false;
        }

        var seq = BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(1));
        if (seq < 0)
        {
            reason = "negative seq";
            return false;
        }

        if (!TryReadVarInt(payload.AsSpan(header), out var userIdLength, out var varIntLength))
        {
            reason = "bad user id length";
            return false;
        }

        var userIdStart = header + varIntLength;
        if (userIdLength == 0 || userIdLength > payload.Length - userIdStart)
        {
            reason = "user id length out of range";
            return false;
        }

        var userIdBytes = payload.AsSpan(userIdStart, userIdLength);
        if (!Utf8.IsValid(userIdBytes))
        {
            reason = "user id is not valid UTF-8";
            return false;
        }

        var frameStart = userIdStart + userIdLength;
        if (frameless ? frameStart != payload.Length : kind == BackplaneMessageKind.Notification && frameStart == payload.Length)
        {
            // A notification carries its frame or says it does not (kind 3); the reader must never get an empty frame to send.
            reason = frameless ? "a frameless notification carries bytes after its user id" : "a notification without a frame";
            return false;
        }

        message = new BackplaneMessage(
            kind,
            Encoding.UTF8.GetString(userIdBytes),
            seq,
            payload.AsMemory(frameStart))
        {
            TraceContext = traced ? ReadTraceContext(payload.AsSpan(HeaderLength, TraceContextLength)) : default,
        };
        reason = string.Empty;
        return true;
    }

    private static ActivityContext ReadTraceContext(ReadOnlySpan<byte> bytes)
    {
        // An all-zero id is invalid in W3C trace context; such a message is traced by nobody.
        if (!bytes[..16].ContainsAnyExcept((byte)0) || !bytes.Slice(16, 8).ContainsAnyExcept((byte)0))
        {
            return default;
        }

        return new ActivityContext(
            ActivityTraceId.CreateFromBytes(bytes[..16]),
            ActivitySpanId.CreateFromBytes(bytes.Slice(16, 8)),
            (ActivityTraceFlags)bytes[24],
            isRemote: true);
    }

    private static int VarIntLength(int value)
    {
        var length = 1;
        for (var rest = (uint)value >> 7; rest != 0; rest >>= 7)
        {
            length++;
        }

        return length;
    }

    private static int WriteVarInt(Span<byte> destination, int value)
    {
        var rest = (uint)value;
        var written = 0;
        while (rest >= 0x80)
        {
            destination[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        destination[written++] = (byte)rest;
        return written;
    }

    private static bool TryReadVarInt(ReadOnlySpan<byte> source, out int value, out int length)
    {
        uint result = 0;
        for (var i = 0; i < MaxVarIntLength && i < source.Length; i++)
        {
            var b = source[i];
            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // The fifth group may only hold the top 4 bits of a non-negative int.
                if (i == MaxVarIntLength - 1 && b > 0x07)
                {
                    break;
                }

                value = (int)result;
                length = i + 1;
                return true;
            }
        }

        value = 0;
        length = 0;
        return false;
    }
}
