namespace NotifyPush.Client.Subscribing;

/// <summary>Where a <see cref="NotifyPushSubscriber"/> is in its life.</summary>
public enum SubscriberState
{
    /// <summary>Not reading yet.</summary>
    Idle,

    /// <summary>Opening the first socket of a <c>ReadAllAsync</c>.</summary>
    Connecting,

    /// <summary>Connected; the server is replaying what was missed.</summary>
    Syncing,

    /// <summary>Replay done (<c>synced</c>); new notifications arrive as they are sent.</summary>
    Live,

    /// <summary>The socket ended; waiting for the backoff delay or opening the next socket.</summary>
    Reconnecting,

    /// <summary>The enumeration ended: the reader stopped, a terminal close code, or disposal.</summary>
    Stopped,
}
