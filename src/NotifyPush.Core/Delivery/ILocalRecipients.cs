namespace NotifyPush.Core.Delivery;

/// <summary>
/// This replica's recipients by user: what dispatch and the position check hand notifications to. The connection
/// registry is the one implementation; delivery sees only this, so it never depends on sockets and their transports.
/// </summary>
public interface ILocalRecipients
{
    /// <summary>The user's recipients on this replica; empty when the user has none here. Lock-free.</summary>
    ReadOnlySpan<INotificationRecipient> GetRecipients(string userId);

    /// <summary>Every recipient on this replica; a weakly consistent snapshot.</summary>
    IEnumerable<INotificationRecipient> GetAllRecipients();

    /// <summary>Every user with a recipient here and how many; a weakly consistent snapshot.</summary>
    IEnumerable<KeyValuePair<string, int>> GetUserSocketCounts();
}

/// <summary>
/// One open socket or event stream of a user, as delivery sees it: a bounded queue that never blocks, read by the
/// recipient's own send loop, so its frames keep one writer and their order.
/// </summary>
public interface INotificationRecipient
{
    /// <summary>The close code the server chose, or 0 while the recipient is open.</summary>
    int CloseCode { get; }

    /// <summary>The highest seq written (or being written) to the recipient.</summary>
    long LastSentSeq { get; }

    /// <summary>
    /// Queues a live notification given as a head of its own and a tail shared with other recipients. Without either,
    /// the notification's frame was not carried and is read from the store.
    /// </summary>
    bool TryEnqueueNotification(long seq, ReadOnlyMemory<byte> frameHead, ReadOnlyMemory<byte> frameTail, long createdAtUtcTicks = 0);

    /// <summary>Asks the send loop to read everything after its last sent seq from the store.</summary>
    bool TryEnqueueCatchUp();

    /// <summary>Asks the recipient to close with <paramref name="code"/>; the first request wins.</summary>
    /// <returns>True when this call decided the close code.</returns>
    bool RequestClose(int code, string reason);
}
