namespace NotifyPush.Bench.Sockets;

/// <summary>
/// What one NotifyPush client (socket or event stream) received: the highest seq, which is its resume point, and the
/// duplicates and gaps it saw, each also counted for the fleet with the POST→receipt latency from the payload.
/// </summary>
internal sealed class ReceivedSeqs(SocketFleet fleet)
{
    public long Last { get; private set; }

    public long Duplicates { get; private set; }

    public long Gaps { get; private set; }

    /// <summary>Records a received notification; true when it is new and is to be acknowledged.</summary>
    public bool Record(long seq, long sentTimestamp)
    {
        fleet.Latency.RecordSince(sentTimestamp);
        fleet.OnReceived(sentTimestamp);
        if (seq <= Last)
        {
            Duplicates++;
            fleet.OnDuplicate();
            return false;
        }

        if (seq > Last + 1)
        {
            Gaps += seq - Last - 1;
            fleet.OnGap(seq - Last - 1);
        }

        Last = seq;
        return true;
    }

    /// <summary>
    /// Reconnects with <c>since</c> after the last seq received, every 500 ms until <paramref name="connectAsync"/>
    /// succeeds (for at most 2 minutes) or the client is being dropped on purpose.
    /// </summary>
    public async Task ResumeAsync(Func<Task<bool>> connectAsync, Func<bool> dropping)
    {
        for (var attempt = 0; attempt < 240 && !dropping(); attempt++)
        {
            await Task.Delay(500).ConfigureAwait(false);
            if (dropping())
            {
                return;
            }

            if (await connectAsync().ConfigureAwait(false))
            {
                fleet.OnResumed();
                return;
            }
        }
    }
}
