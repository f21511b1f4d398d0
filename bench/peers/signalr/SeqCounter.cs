namespace NotifyPush.Peers.SignalR;

/// <summary>
/// Each user's next seq, in memory on the node that accepts the POST: consistent only while every POST for a user goes
/// to the same node, which is how the bench sends (see the README).
/// </summary>
internal sealed class SeqCounter
{
    private readonly Dictionary<string, long> _next = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// Takes the user's next seq and starts <paramref name="publish"/> with it under one lock. The Redis backplane
    /// writes the PUBLISH to StackExchange.Redis's single connection before its first real await, so two concurrent
    /// sends for one user reach Redis in seq order; awaiting happens outside the lock.
    /// </summary>
    public Task Next(string userId, Func<long, Task> publish, out long seq)
    {
        lock (_lock)
        {
            _next.TryGetValue(userId, out var last);
            seq = last + 1;
            _next[userId] = seq;
            return publish(seq);
        }
    }
}
