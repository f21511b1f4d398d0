using System.Diagnostics;

namespace NotifyPush.Core.Backplane;

/// <summary>One doorbell ring for one user. The store stays the source of truth; a lost message is recovered by gap fill.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="UserId">The user whose sockets are addressed.</param>
/// <param name="Seq">The notification's seq (0 for <see cref="BackplaneMessageKind.Disconnect"/>).</param>
/// <param name="Frame">
/// The UTF-8 JSON text frame to send as is, serialized once by the publisher, or its head when <see cref="FrameTail"/>
/// is set. Empty for Disconnect, and for a notification whose frame is not carried: the receiver reads seq from the store.
/// </param>
public readonly record struct BackplaneMessage(BackplaneMessageKind Kind, string UserId, long Seq, ReadOnlyMemory<byte> Frame)
{
    /// <summary>
    /// The span of the send that stored the notification, when that send was traced (sampled); default otherwise. The
    /// receiving replica links its dispatch span to it. A backplane carries it only when it is set.
    /// </summary>
    public ActivityContext TraceContext { get; init; }

    /// <summary>
    /// The rest of the frame after <see cref="Frame"/>: the payload and what follows it, one buffer shared by every
    /// message of a send (a fan-out holds its payload once, not once per recipient). Empty when Frame is whole.
    /// </summary>
    public ReadOnlyMemory<byte> FrameTail { get; init; }

    /// <summary>Bytes of the whole frame (<see cref="Frame"/> and <see cref="FrameTail"/>).</summary>
    public int FrameLength => Frame.Length + FrameTail.Length;

    /// <summary>True for a notification doorbell without its frame: the receiver reads the notification from the store.</summary>
    public bool IsFrameless => Kind == BackplaneMessageKind.Notification && Frame.IsEmpty && FrameTail.IsEmpty;

    /// <summary>The same doorbell without its frame (user and seq only), as kept while it cannot ring.</summary>
    public BackplaneMessage WithoutFrame() =>
        new(Kind, UserId, Seq, ReadOnlyMemory<byte>.Empty) { TraceContext = TraceContext };
}
