namespace NotifyPush.Core.Backplane;

/// <summary>
/// The doorbell between replicas: routes a message for a user to the replicas that hold that
/// user's sockets. Every implementation passes the backplane specification suite.
/// </summary>
/// <remarks>
/// Delivery is at most once and may be delayed or lost (a broker restart, a reconnect). The engine
/// tolerates that by numbering messages with the user's seq (duplicates are dropped, a jump triggers a
/// store read) and by catching every local user up on <see cref="IBackplaneListener.OnRestored"/>.
/// Interest is per user and reference-counted by the caller (<c>ConnectionRegistry</c>): the backplane sees
/// one subscribe when a user's first local socket opens and one unsubscribe after the last closes.
/// </remarks>
public interface INotificationBackplane
{
    /// <summary>Sets the listener that receives messages and restore signals. Called once, before the first subscribe.</summary>
    void SetListener(IBackplaneListener listener);

    /// <summary>
    /// Starts receiving messages for the user. When the returned task completes, every message published
    /// afterwards reaches the listener (unless the backplane is down, which it later reports through OnRestored).
    /// Never throws for a broker outage: the interest is kept and re-established on reconnect.
    /// </summary>
    Task SubscribeAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Stops receiving messages for the user. Never throws for a broker outage.</summary>
    Task UnsubscribeAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes messages, in order per user. Called after the store committed them, by one background loop
    /// (<c>DoorbellQueue</c>), so a slow publish delays doorbells, never a request; and for a sign-out. A broker outage
    /// is not an error for the caller (the store holds the notifications): it is reported by <see cref="GetHealth"/>,
    /// not thrown. Anything thrown anyway is logged by the caller and the messages are dropped (receivers fill from
    /// the store).
    /// </summary>
    Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes one message now, for a caller that must answer whether it went out (a sign-out): true once the broker
    /// took it (or, in process, once it was handed to the listener); false when the broker is down, stalled past its
    /// command timeout, or failed. Nothing is owed or retried: the caller answers 503 and its client retries.
    /// </summary>
    /// <remarks>
    /// The default publishes through <see cref="PublishAsync"/> and reports <see cref="GetHealth"/>: right for a
    /// backplane whose publish hands messages to the receivers before it returns (in process). A broker backplane
    /// overrides it, because its publish swallows a failure and a stalled broker still reports itself connected.
    /// </remarks>
    async Task<bool> TryPublishNowAsync(BackplaneMessage message, CancellationToken cancellationToken)
    {
        await PublishAsync([message], cancellationToken).ConfigureAwait(false);
        return GetHealth().IsConnected;
    }

    /// <summary>The current connection state.</summary>
    BackplaneHealth GetHealth();
}
