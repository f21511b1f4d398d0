using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// The sequencing rules of one socket's stream: its position (the highest seq written or being written to it), its
/// phase (replaying from the store, or live), and what a live frame or a stored row means for that position. The
/// connection does the reading and writing; this type decides, and holds the rules that keep a user's notifications
/// in order, each once, and never skips a seq the store did not report gone.
/// </summary>
/// <remarks>
/// The position is written only by the socket's send loop and read by its receive loop (an ack beyond it is refused)
/// and by the position check. The phase is changed by the send loop and, once, by a writer that found the socket's
/// queue full during the replay.
/// </remarks>
public sealed class DeliveryCursor
{
    // Replaying until the replay is done (synced), then Live. A queue overflow during the replay only moves it to
    // ReplayOwed; the send loop swaps in Live and, finding ReplayOwed, reads the store once more.
    private const int Replaying = 0;
    private const int ReplayOwed = 1;
    private const int Live = 2;
    private int _phase;
    private long _position;

    /// <summary>The highest seq written (or being written) to the socket; everything up to it is sent or was skipped as gone.</summary>
    public long Position => Volatile.Read(ref _position);

    /// <summary>Whether the replay is done and frames from the backplane are sent as they come.</summary>
    public bool IsLive => Volatile.Read(ref _phase) == Live;

    /// <summary>Places the cursor where the replay starts (after <paramref name="resumeAfter"/>).</summary>
    public void StartAfter(long resumeAfter) => Volatile.Write(ref _position, resumeAfter);

    /// <summary>
    /// A live frame did not fit in the socket's queue. During the replay that costs nothing (the replay reads the store
    /// once more before synced) and the answer is true; once live it is a slow consumer, and the answer is false.
    /// </summary>
    public bool OweReplay() => Interlocked.CompareExchange(ref _phase, ReplayOwed, Replaying) != Live;

    /// <summary>Ends the replay; true when a live frame was dropped meanwhile, so the store must be read once more.</summary>
    public bool GoLive() => Interlocked.Exchange(ref _phase, Live) == ReplayOwed;

    /// <summary>What a live frame with <paramref name="seq"/> is, against the position.</summary>
    public LiveFrame Classify(long seq)
    {
        var position = Position;
        return seq <= position ? LiveFrame.AlreadySent : seq == position + 1 ? LiveFrame.Next : LiveFrame.AfterAGap;
    }

    /// <summary>Whether <paramref name="seq"/> is the next one to send.</summary>
    public bool IsNext(long seq) => seq == Position + 1;

    /// <summary>
    /// Records <paramref name="seq"/> as sent, just before its frame is written. Not after: the client can read the frame
    /// and its ack can reach the receive loop before the write returns, and that ack must not be taken for one beyond
    /// the position.
    /// </summary>
    public void MarkSent(long seq) => Volatile.Write(ref _position, seq);

    /// <summary>Moves past a row the store returned expired: it is never delivered, and the store says so.</summary>
    public void SkipExpired(long seq) => Volatile.Write(ref _position, Math.Max(Position, seq));

    /// <summary>
    /// Moves past the seqs up to <paramref name="through"/> that the store pruned (at or below
    /// <paramref name="prunedSeq"/>); true when it moved. Nothing else is ever skipped.
    /// </summary>
    public bool SkipPruned(long prunedSeq, long through)
    {
        var skipTo = Math.Min(prunedSeq, through);
        if (skipTo <= Position)
        {
            return false;
        }

        Volatile.Write(ref _position, skipTo);
        return true;
    }

    /// <summary>
    /// After a read of the store up to <paramref name="upTo"/> that ended below it: skips what the store pruned, and
    /// answers whether a seq the store holds (up to its head) was still not read, so it must be read again. A seq above
    /// the stream's head was never committed: there is nothing to send for it and nothing to move past.
    /// </summary>
    public bool MissesAfterRead(long upTo, UserStreamState state, out bool skipped)
    {
        skipped = SkipPruned(state.PrunedSeq, upTo);
        return Position < Math.Min(upTo, state.LastSeq);
    }
}

/// <summary>What a live frame is, against a socket's position.</summary>
public enum LiveFrame
{
    /// <summary>At or below the position: sent already (by the replay or an earlier fill); dropped.</summary>
    AlreadySent,

    /// <summary>The next seq: sent as it is.</summary>
    Next,

    /// <summary>Beyond the next seq: something was lost or reordered, or the seq is forged; the store decides.</summary>
    AfterAGap,
}
