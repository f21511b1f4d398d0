using System.Collections.Concurrent;

namespace NotifyPush.Core.Backplane;

/// <summary>
/// Notification doorbells that could not ring yet (the publish queue was full, or the broker connection was down),
/// kept so they ring later. Receivers on other replicas may have stayed connected to the broker and so never get a
/// restore signal of their own: without this they would learn of the notification only with the user's next one, the
/// position check or a reconnect.
/// </summary>
/// <remarks>
/// Only the newest message per user is kept, and without its frame: a receiver that sees seq N without a frame reads
/// every seq it lacks up to N from the store, so one small doorbell per user is enough. The memory is bounded by users
/// (<c>capacity</c>) and by bytes (<c>maxBytes</c>: user ids and bookkeeping), never by payloads. Sign-out (Disconnect)
/// messages are not kept: ringing one late could close a session opened after it.
/// </remarks>
public sealed class OwedDoorbells(int capacity, long maxBytes = long.MaxValue)
{
    /// <summary>What one owed doorbell costs beyond its user id's characters: the message, the dictionary entry, the string header.</summary>
    internal const int EntryOverheadBytes = 96;

    private readonly ConcurrentDictionary<string, BackplaneMessage> _byUser = new(StringComparer.Ordinal);
    private long _bytes;

    public bool IsEmpty => _byUser.IsEmpty;

    public int Count => _byUser.Count;

    /// <summary>Most users owed at once.</summary>
    public int Capacity => capacity;

    /// <summary>Most bytes the owed doorbells may hold (see <see cref="Bytes"/>).</summary>
    public long MaxBytes => maxBytes;

    /// <summary>What the owed doorbells hold, estimated as <see cref="EntryOverheadBytes"/> plus two bytes per user id character each.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Remembers the messages; returns how many were not kept because <c>capacity</c> users or <c>maxBytes</c> are already owed.</summary>
    public int Add(IReadOnlyList<BackplaneMessage> messages)
    {
        var dropped = 0;
        foreach (var message in messages)
        {
            if (message.Kind != BackplaneMessageKind.Notification)
            {
                continue;
            }

            var doorbell = message.WithoutFrame();
            while (true)
            {
                if (_byUser.TryGetValue(message.UserId, out var current))
                {
                    // Only a newer seq replaces; when the entry changed or was taken meanwhile, look again.
                    if (message.Seq <= current.Seq || _byUser.TryUpdate(message.UserId, doorbell, current))
                    {
                        break;
                    }

                    continue;
                }

                var size = SizeOf(message.UserId);
                if (_byUser.Count >= capacity)
                {
                    dropped++;
                    break;
                }

                if (Interlocked.Add(ref _bytes, size) > maxBytes)
                {
                    Interlocked.Add(ref _bytes, -size);
                    dropped++;
                    break;
                }

                if (_byUser.TryAdd(message.UserId, doorbell))
                {
                    break;
                }

                // Another caller owed this user meanwhile (and counted it): compare with theirs.
                Interlocked.Add(ref _bytes, -size);
            }
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
                Interlocked.Add(ref _bytes, -SizeOf(pair.Key));
                taken.Add(pair.Value);
            }
        }

        return taken;
    }

    private static long SizeOf(string userId) => EntryOverheadBytes + (2L * userId.Length);
}
