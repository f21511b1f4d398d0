namespace NotifyPush.Server.WebPush;

/// <summary>Wakes this replica's <see cref="WebPushDeliveryService"/> when a send queued pushes here, instead of waiting for its next poll.</summary>
public sealed class WebPushSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Asks the worker for a pass now. Wakes coalesce: many sends before the pass cost one pass.</summary>
    public void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // A wake is already pending: the coming pass sees this send's jobs too.
        }
    }

    /// <summary>Waits for a wake or for <paramref name="timeout"/>, whichever comes first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
