namespace NotifyPush.Core.Connections;

/// <summary>Whether this replica accepts new sockets. Set when it starts draining for shutdown.</summary>
public sealed class DrainState
{
    private int _draining;

    /// <summary>True once shutdown began: handshakes get 503 and readiness fails.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    // A full fence: a socket attached after this sees it, or the drain that follows sees the socket.
    internal void BeginDraining() => Interlocked.Exchange(ref _draining, 1);
}
