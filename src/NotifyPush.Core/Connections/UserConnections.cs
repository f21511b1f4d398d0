namespace NotifyPush.Core.Connections;

/// <summary>The local sockets of one user and the state of the user's backplane subscription.</summary>
internal sealed class UserConnections(string userId)
{
    /// <summary>Serialises reserve/release of this user so subscribe and unsubscribe never interleave.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public string UserId { get; } = userId;

    private readonly Lock _sync = new();

    // Copy-on-write so that dispatch reads it without a lock.
    private volatile NotificationConnection[] _connections = [];

    /// <summary>The user's attached sockets; an immutable snapshot.</summary>
    public NotificationConnection[] Connections => _connections;

    /// <summary>Sockets counted against the per-user limit, including ones still completing their upgrade. Guarded by Gate.</summary>
    public int Reserved { get; set; }

    /// <summary>True once the entry was emptied (it is unsubscribed, then removed from the index); a reserve that waited on the gate must fetch a fresh entry. Guarded by Gate.</summary>
    public bool Retired { get; set; }

    public void Add(NotificationConnection connection)
    {
        lock (_sync)
        {
            _connections = [.. _connections, connection];
        }
    }

    public void Remove(NotificationConnection connection)
    {
        lock (_sync)
        {
            _connections = Array.FindAll(_connections, c => !ReferenceEquals(c, connection));
        }
    }
}
