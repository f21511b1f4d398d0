namespace NotifyPush.Client.Subscribing;

/// <summary>The server finished replaying what the socket missed (<c>synced</c>).</summary>
public sealed class SyncedEventArgs(long seq, bool recovered) : EventArgs
{
    /// <summary>The socket's position after the replay.</summary>
    public long Seq { get; } = seq;

    /// <summary>False when notifications after the resume point no longer existed (expired, pruned, over the replay limit): reload the application's state.</summary>
    public bool Recovered { get; } = recovered;
}
