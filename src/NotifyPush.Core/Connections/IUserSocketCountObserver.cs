namespace NotifyPush.Core.Connections;

/// <summary>
/// Told by <see cref="ConnectionRegistry"/> whenever a user's socket count on this replica changes (a socket added or
/// removed). Presence implements it to publish the users whose count changed; the registry knows nothing of presence.
/// Called on the handshake's and the close's path: it must not block.
/// </summary>
public interface IUserSocketCountObserver
{
    void Changed(string userId);
}
