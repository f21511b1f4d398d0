namespace NotifyPush.Core.Connections;

/// <summary>Whether this replica accepts new sockets. Set when it starts draining for shutdown.</summary>
public sealed class ReplicaState
{
    private volatile bool _draining;

    /// <summary>True once shutdown began: handshakes get 503 and readiness fails.</summary>
    public bool IsDraining => _draining;

    internal void BeginDraining() => _draining = true;
}
