namespace NotifyPush.Core.Backplane;

/// <summary>The receiving side of a backplane: the replica's dispatcher.</summary>
public interface IBackplaneListener
{
    /// <summary>
    /// A message arrived for a user this replica subscribed to. Called on the backplane's thread:
    /// implementations must not block (they enqueue to sockets and return).
    /// </summary>
    void OnMessage(in BackplaneMessage message);

    /// <summary>
    /// The backplane was disconnected and is receiving again; messages published meanwhile may be lost,
    /// so every local user must be caught up from the store.
    /// </summary>
    void OnRestored();
}
