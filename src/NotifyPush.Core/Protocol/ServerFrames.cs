using System.Buffers;
using System.Text.Json;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Protocol;

/// <summary>Serializes the server-to-client frames of the protocol. Every frame is one JSON object with <c>type</c> first.</summary>
public static class ServerFrames
{
    private static readonly byte[] PingFrame = """{"type":"ping"}"""u8.ToArray();

    /// <summary>A thread's scratch buffer grows up to this and is kept; one that grew past it (a large payload) is let go.</summary>
    private const int KeptScratchBytes = 16 * 1024;

    // One writer and buffer per thread, reused by every frame that thread serializes: a frame is written synchronously,
    // so it never shares them, and only its final bytes are a new array.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The heartbeat frame; the same immutable bytes for every socket.</summary>
    public static ReadOnlyMemory<byte> Ping => PingFrame;

    /// <summary><c>{"type":"notification","seq":…,"id":…,"event":…,"payload":…,"createdAt":…}</c>, serialized once and shared by every socket of the user.</summary>
    public static byte[] Notification(StoredNotification notification)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "notification"u8);
        writer.WriteNumber("seq"u8, notification.Seq);
        writer.WriteString("id"u8, notification.Id);
        writer.WriteString("event"u8, notification.Type);
        writer.WritePropertyName("payload"u8);
        // The payload was validated as JSON when it was accepted; writing it raw keeps the sender's text.
        writer.WriteRawValue(notification.PayloadJson, skipInputValidation: true);
        writer.WriteString("createdAt"u8, notification.CreatedAt.UtcDateTime);
        writer.WriteEndObject();
        writer.Flush();
        return Return(buffer, 0);
    }

    /// <summary>
    /// The tail of a notification frame: the payload and what follows it (<c>…,"createdAt":…}</c>). Built once per send
    /// and shared by the frame of every recipient: <see cref="NotificationHead"/> followed by this is, byte for byte,
    /// <see cref="Notification"/>.
    /// </summary>
    public static byte[] NotificationTail(string payloadJson, DateTimeOffset createdAt)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WritePropertyName("payload"u8);
        writer.Flush();
        var start = buffer.WrittenCount;
        writer.WriteRawValue(payloadJson, skipInputValidation: true);
        writer.WriteString("createdAt"u8, createdAt.UtcDateTime);
        writer.WriteEndObject();
        writer.Flush();
        return Return(buffer, start);
    }

    /// <summary>The head of a notification frame, up to its payload: <c>{"type":"notification","seq":…,"id":…,"event":…,"payload":</c>.</summary>
    public static byte[] NotificationHead(StoredNotification notification)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "notification"u8);
        writer.WriteNumber("seq"u8, notification.Seq);
        writer.WriteString("id"u8, notification.Id);
        writer.WriteString("event"u8, notification.Type);
        writer.WritePropertyName("payload"u8);

        // Left open on purpose: the shared tail completes the object.
        writer.Flush();
        return Return(buffer, 0);
    }

    /// <summary>
    /// Reads the <c>createdAt</c> of a frame written by <see cref="Notification"/> as UTC ticks. It is the frame's last
    /// member, so it is searched from the end: a payload holding the same text comes before it.
    /// </summary>
    public static bool TryReadCreatedAt(ReadOnlySpan<byte> frame, out long utcTicks)
    {
        utcTicks = 0;
        var start = frame.LastIndexOf("\"createdAt\":"u8);
        if (start < 0)
        {
            return false;
        }

        var reader = new Utf8JsonReader(frame[(start + "\"createdAt\":"u8.Length)..]);
        try
        {
            if (!reader.Read() || !reader.TryGetDateTime(out var createdAt))
            {
                return false;
            }

            utcTicks = createdAt.ToUniversalTime().Ticks;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The version of the wire protocol, sent in <c>welcome</c>. It changes only when a frame or close code changes
    /// incompatibly, not with each release (the product version is one <c>&lt;Version&gt;</c> in Directory.Build.props).
    /// </summary>
    public const int ProtocolVersion = 1;

    /// <summary><c>{"type":"welcome","userId":…,"connectionId":…,"heartbeatSeconds":…,"protocol":1}</c></summary>
    public static byte[] Welcome(string userId, string connectionId, int heartbeatSeconds) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, "welcome"u8);
            writer.WriteString("userId"u8, userId);
            writer.WriteString("connectionId"u8, connectionId);
            writer.WriteNumber("heartbeatSeconds"u8, heartbeatSeconds);
            writer.WriteNumber("protocol"u8, ProtocolVersion);
        });

    /// <summary><c>{"type":"synced","seq":…,"recovered":…}</c>: replay is done.</summary>
    public static byte[] Synced(long seq, bool recovered) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, "synced"u8);
            writer.WriteNumber("seq"u8, seq);
            writer.WriteBoolean("recovered"u8, recovered);
        });

    /// <summary><c>{"type":"token-expiring","inSeconds":…}</c></summary>
    public static byte[] TokenExpiring(int inSeconds) =>
        Write(writer =>
        {
            writer.WriteString("type"u8, "token-expiring"u8);
            writer.WriteNumber("inSeconds"u8, inSeconds);
        });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var writer = RentWriter(out var buffer);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        writer.Flush();
        return Return(buffer, 0);
    }

    /// <summary>This thread's writer, reset onto its emptied scratch buffer.</summary>
    private static Utf8JsonWriter RentWriter(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_scratch ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        if (t_writer is { } writer)
        {
            writer.Reset(buffer);
            return writer;
        }

        return t_writer = new Utf8JsonWriter(buffer);
    }

    /// <summary>The frame's bytes from <paramref name="start"/> as a new array; lets go of a scratch buffer a large frame grew.</summary>
    private static byte[] Return(ArrayBufferWriter<byte> buffer, int start)
    {
        var frame = buffer.WrittenSpan[start..].ToArray();
        if (buffer.Capacity > KeptScratchBytes)
        {
            t_scratch = null;
            t_writer = null;
        }

        return frame;
    }
}
