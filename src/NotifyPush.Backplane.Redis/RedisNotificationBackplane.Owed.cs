using NotifyPush.Core.Backplane;

namespace NotifyPush.Backplane.Redis;

public sealed partial class RedisNotificationBackplane
{
    // Bounded by RedisBackplaneOptions.OwedDoorbellCapacity (users) and OwedDoorbellBytes; beyond them, those users'
    // sockets catch up through the store (their next notification, the position check, a reconnect).
    private readonly OwedDoorbells _owed;

    /// <summary>Doorbells waiting for Redis (for tests and diagnostics).</summary>
    internal int OwedDoorbellCount => _owed.Count;

    private void Owe(IReadOnlyList<BackplaneMessage> messages)
    {
        var dropped = _owed.Add(messages);
        if (dropped > 0)
        {
            Log.OwedDoorbellsDropped(_logger, dropped, _owed.Capacity, _owed.MaxBytes);
        }
    }

    /// <summary>Rings every owed doorbell; called when Redis answers again (restore, or a publish that worked).</summary>
    private async Task RingOwedAsync()
    {
        if (_owed.IsEmpty)
        {
            return;
        }

        var owed = _owed.TakeAll();
        if (owed.Count > 0)
        {
            Log.RingingOwedDoorbells(_logger, owed.Count);

            // A failure owes them again inside PublishAsync.
            await PublishAsync(owed, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
