namespace NotifyPush.Client.Subscribing;

/// <summary>A socket was accepted: the server's <c>welcome</c>.</summary>
public sealed class ConnectedEventArgs(string userId, string connectionId, int heartbeatSeconds) : EventArgs
{
    /// <summary>The user the token names.</summary>
    public string UserId { get; } = userId;

    /// <summary>The server's id of this socket (it appears in the server's logs).</summary>
    public string ConnectionId { get; } = connectionId;

    /// <summary>Seconds between the server's pings.</summary>
    public int HeartbeatSeconds { get; } = heartbeatSeconds;
}
