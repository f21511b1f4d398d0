namespace NotifyPush.Client.Subscribing;

/// <summary>How one socket (or one handshake) ended.</summary>
/// <param name="Code">The server's close code; 1006 without one.</param>
/// <param name="Reason">The close reason or what went wrong.</param>
/// <param name="HandshakeStatus">The HTTP status of a refused handshake.</param>
/// <param name="ReachedSynced">Whether the socket got as far as <c>synced</c> (a healthy connection resets the backoff).</param>
internal sealed record SocketClosure(int Code, string? Reason, int? HandshakeStatus = null, bool ReachedSynced = false);
