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
}

/// <summary>One item of a socket's bounded send queue. The frame bytes may be shared by many sockets.</summary>
/// <param name="Kind">What the send loop does with it.</param>
/// <param name="Seq">The notification's seq (0 for other kinds).</param>
/// <param name="Frame">The frame to write.</param>
/// <param name="CreatedAtUtcTicks">A live notification's createdAt, for the delivery latency; 0 when not read.</param>
internal readonly record struct OutboundMessage(OutboundKind Kind, long Seq, ReadOnlyMemory<byte> Frame, long CreatedAtUtcTicks = 0)
{
    public static readonly OutboundMessage CatchUp = new(OutboundKind.CatchUp, 0, ReadOnlyMemory<byte>.Empty);
}
