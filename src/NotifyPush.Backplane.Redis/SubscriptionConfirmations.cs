using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// Confirms fire-and-forget SUBSCRIBEs with a PING on the subscription connection, one PING for every SUBSCRIBE
/// issued before it was sent: a subscribe that arrives while a PING is in flight waits for the next one, which leaves
/// as soon as that PING is answered and confirms everything issued meanwhile. At one handshake at a time that is a
/// PING each, as before; during a reconnect storm one PING confirms a whole batch of handshakes.
/// </summary>
/// <remarks>
/// Correct because the multiplexer writes the subscription connection's commands in call order: a PING sent after a
/// SUBSCRIBE is answered after Redis has taken it. A PING in flight was sent before the newcomer's SUBSCRIBE, so
/// the newcomer never joins it.
/// </remarks>
internal sealed class SubscriptionConfirmations
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _next; // under _gate: the PING not sent yet, joined by every caller meanwhile
    private bool _inFlight;              // under _gate

    /// <summary>Completes once Redis has answered a PING sent after the caller's SUBSCRIBE; faults as that PING did.</summary>
    public Task ConfirmAsync(ISubscriber subscriber)
    {
        TaskCompletionSource waiter;
        var send = false;
        lock (_gate)
        {
            waiter = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inFlight)
            {
                _inFlight = true;
                _next = null;
                send = true;
            }
        }

        if (send)
        {
            _ = PingAsync(subscriber, waiter);
        }

        return waiter.Task;
    }

    private async Task PingAsync(ISubscriber subscriber, TaskCompletionSource waiter)
    {
        while (true)
        {
            try
            {
                await subscriber.PingAsync().ConfigureAwait(false);
                waiter.TrySetResult();
            }
            catch (Exception ex)
            {
                waiter.TrySetException(ex);
            }

            lock (_gate)
            {
                if (_next is null)
                {
                    _inFlight = false;
                    return;
                }

                waiter = _next;
                _next = null;
            }
        }
    }
}
