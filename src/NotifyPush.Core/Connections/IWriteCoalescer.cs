namespace NotifyPush.Core.Connections;

/// <summary>
/// Lets a socket's send loop put several frames into one write to the transport: between <see cref="Cork"/> and
/// <see cref="UncorkAsync"/> the frames the WebSocket writes are gathered (up to a bound, then written), and
/// uncorking writes what was gathered at once. The host provides it for the transport under the WebSocket.
/// </summary>
public interface IWriteCoalescer
{
    /// <summary>Starts gathering the frames written from now on.</summary>
    void Cork();

    /// <summary>Writes what was gathered and stops gathering.</summary>
    ValueTask UncorkAsync();
}
