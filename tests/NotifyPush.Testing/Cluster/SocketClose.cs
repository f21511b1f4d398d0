namespace NotifyPush.Testing;

/// <summary>How one socket of a <see cref="ResumingClient"/> ended.</summary>
/// <param name="Replica">The replica it was connected to.</param>
/// <param name="Code">The server's close code, 1006 when the connection dropped without one.</param>
/// <param name="Disrupted">True when the test cut or closed it.</param>
public sealed record SocketClose(string Replica, int Code, bool Disrupted);
