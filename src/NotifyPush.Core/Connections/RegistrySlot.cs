namespace NotifyPush.Core.Connections;

/// <summary>
/// One socket's place in the registry, taken before the WebSocket upgrade (so a full user gets a plain 429) and
/// released when the socket ends. Dispose it exactly once.
/// </summary>
public sealed class RegistrySlot : IAsyncDisposable
{
    private readonly ConnectionRegistry _registry;
    private readonly UserConnections _entry;
    private NotificationConnection? _connection;
    private int _released;

    internal RegistrySlot(ConnectionRegistry registry, UserConnections entry)
    {
        _registry = registry;
        _entry = entry;
    }

    /// <summary>Makes the accepted connection visible to dispatch. Call before <see cref="NotificationConnection.RunAsync"/> so no live frame published after its replay read is missed.</summary>
    public void Attach(NotificationConnection connection)
    {
        if (_connection is not null)
        {
            throw new InvalidOperationException("A connection is already attached to this slot.");
        }

        _connection = connection;
        _registry.Attach(_entry, connection);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            await _registry.ReleaseAsync(_entry, _connection).ConfigureAwait(false);
        }
    }
}
