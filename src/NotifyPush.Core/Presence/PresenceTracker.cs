using System.Collections.Concurrent;
using NotifyPush.Core.Connections;

namespace NotifyPush.Core.Presence;

/// <summary>
/// This replica's side of presence: which users' local sockets opened or closed since the directory last wrote them.
/// The registry marks a user on every attach and release; the directory takes the marks in batches, so a handshake
/// never waits for a presence write.
/// </summary>
public sealed class PresenceTracker : IUserSocketCountObserver
{
    private readonly ConcurrentDictionary<string, byte> _changed = new(StringComparer.Ordinal);

    /// <summary>This replica's id in the presence directory; new for every process.</summary>
    public string ReplicaId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Users marked since the last <see cref="TakeChanged"/>.</summary>
    public int ChangedCount => _changed.Count;

    /// <summary>Marks a user whose local socket count changed. Never blocks.</summary>
    public void Changed(string userId) => _changed.TryAdd(userId, 0);

    /// <summary>Takes every marked user; a user marked again meanwhile stays for the next call.</summary>
    public List<string> TakeChanged()
    {
        var taken = new List<string>(_changed.Count);
        foreach (var (userId, _) in _changed)
        {
            if (_changed.TryRemove(userId, out _))
            {
                taken.Add(userId);
            }
        }

        return taken;
    }
}
