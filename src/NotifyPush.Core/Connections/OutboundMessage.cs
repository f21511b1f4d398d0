namespace NotifyPush.Core.Connections;

/// <summary>What a socket's send loop does next.</summary>
internal enum OutboundKind : byte
{
    /// <summary>A live notification with a seq: deduplicated and gap-checked before it is written.</summary>
    Notification,

    /// <summary>A control frame (ping, token-expiring): written as is.</summary>
    Control,

    /// <summary>Read everything after the last sent seq from the store (the backplane may have lost messages).</summary>
    CatchUp,

    /// <summary>A live notification whose frame was not carried (a large payload, an owed doorbell): read it and anything before it from the store.</summary>
    Doorbell,
}

/// <summary>One item of a socket's bounded send queue. The frame bytes may be shared by many sockets.</summary>
/// <param name="Kind">What the send loop does with it.</param>
/// <param name="Seq">The notification's seq (0 for other kinds).</param>
/// <param name="Frame">The frame to write, or its head when <see cref="FrameTail"/> is set.</param>
/// <param name="CreatedAtUtcTicks">A live notification's createdAt, for the delivery latency; 0 when not read.</param>
internal readonly record struct OutboundMessage(OutboundKind Kind, long Seq, ReadOnlyMemory<byte> Frame, long CreatedAtUtcTicks = 0)
{
    public static readonly OutboundMessage CatchUp = new(OutboundKind.CatchUp, 0, ReadOnlyMemory<byte>.Empty);

    /// <summary>The rest of the frame after <see cref="Frame"/>, shared with every recipient of the send; empty when Frame is whole.</summary>
    public ReadOnlyMemory<byte> FrameTail { get; init; }

    /// <summary>Bytes of the whole frame, as counted against the socket's byte budget.</summary>
    public int Length => Frame.Length + FrameTail.Length;
}
