using System.Diagnostics;

namespace NotifyPush.Core.Backplane;

/// <summary>One doorbell ring for one user. The store stays the source of truth; a lost message is recovered by gap fill.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="UserId">The user whose sockets are addressed.</param>
/// <param name="Seq">The notification's seq (0 for <see cref="BackplaneMessageKind.Disconnect"/>).</param>
/// <param name="Frame">The UTF-8 JSON text frame to send as is, serialized once by the publisher (empty for Disconnect).</param>
public readonly record struct BackplaneMessage(BackplaneMessageKind Kind, string UserId, long Seq, ReadOnlyMemory<byte> Frame)
{
    /// <summary>
    /// The span of the send that stored the notification, when that send was traced (sampled); default otherwise. The
    /// receiving replica links its dispatch span to it. A backplane carries it only when it is set.
    /// </summary>
    public ActivityContext TraceContext { get; init; }
}
