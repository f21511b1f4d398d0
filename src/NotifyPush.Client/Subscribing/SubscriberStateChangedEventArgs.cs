namespace NotifyPush.Client.Subscribing;

/// <summary>The subscriber moved from <see cref="Previous"/> to <see cref="State"/>.</summary>
public sealed class SubscriberStateChangedEventArgs(SubscriberState state, SubscriberState previous) : EventArgs
{
    /// <summary>The new state.</summary>
    public SubscriberState State { get; } = state;

    /// <summary>The state before.</summary>
    public SubscriberState Previous { get; } = previous;
}
