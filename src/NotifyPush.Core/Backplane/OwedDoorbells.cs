using System.Collections.Concurrent;

namespace NotifyPush.Core.Backplane;

/// <summary>
/// Notification doorbells that could not ring yet (the publish queue was full, or the broker connection was down),
/// kept so they ring later. Receivers on other replicas may have stayed connected to the broker and so never get a
/// restore signal of their own: without this they would learn of the notification only with the user's next one or
/// a reconnect.
/// </summary>
/// <remarks>
/// Only the newest message per user is kept: a receiver that sees seq N fills every lower seq it lacks from the
/// store, so one doorbell per user is enough, and the memory is bounded by the number of users, not messages.
/// Sign-out (Disconnect) messages are not kept: ringing one late could close a session opened after it.
/// </remarks>
public sealed class OwedDoorbells(int capacity)
{
    private readonly ConcurrentDictionary<string, BackplaneMessage> _byUser = new(StringComparer.Ordinal);

    public bool IsEmpty => _byUser.IsEmpty;

    public int Count => _byUser.Count;

    /// <summary>Remembers the messages; returns how many were not kept because <c>capacity</c> users are already owed.</summary>
    public int Add(IReadOnlyList<BackplaneMessage> messages)
    {
        var dropped = 0;
        foreach (var message in messages)
        {
            if (message.Kind != BackplaneMessageKind.Notification)
            {
                continue;
            }

            if (_byUser.Count >= capacity && !_byUser.ContainsKey(message.UserId))
            {
                dropped++;
                continue;
            }

            _byUser.AddOrUpdate(message.UserId, static (_, candidate) => candidate, static (_, current, candidate) => candidate.Seq > current.Seq ? candidate : current, message);
        }

        return dropped;
    }

    /// <summary>Removes and returns every owed doorbell.</summary>
    public List<BackplaneMessage> TakeAll()
    {
        var taken = new List<BackplaneMessage>(_byUser.Count);
        foreach (var pair in _byUser)
        {
            // Remove only the value read: a newer one owed meanwhile stays for the next ring.
            if (_byUser.TryRemove(pair))
            {
                taken.Add(pair.Value);
            }
        }

        return taken;
    }
}
