namespace NotifyPush.Client.Subscribing;

/// <summary>A socket ended, or a handshake failed.</summary>
public sealed class DisconnectedEventArgs(int closeCode, string? reason, bool willReconnect, TimeSpan? reconnectDelay, int? handshakeStatus) : EventArgs
{
    /// <summary>The server's close code (<see cref="NotifyPushCloseCodes"/>); 1006 when the connection dropped without one or the handshake failed.</summary>
    public int CloseCode { get; } = closeCode;

    /// <summary>The server's close reason, or what went wrong.</summary>
    public string? Reason { get; } = reason;

    /// <summary>Whether the subscriber reconnects (after <see cref="ReconnectDelay"/>) or stops.</summary>
    public bool WillReconnect { get; } = willReconnect;

    /// <summary>The backoff delay before the next connect, when reconnecting.</summary>
    public TimeSpan? ReconnectDelay { get; } = reconnectDelay;

    /// <summary>The HTTP status of a refused handshake (401, 429, 503, …); null when a socket was open.</summary>
    public int? HandshakeStatus { get; } = handshakeStatus;
}
