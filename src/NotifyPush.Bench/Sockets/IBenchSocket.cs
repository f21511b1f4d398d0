using System.Net.Http;

namespace NotifyPush.Bench.Sockets;

/// <summary>One user's socket as the fleet drives it, whatever the protocol: NotifyPush's frames or a SignalR hub.</summary>
internal interface IBenchSocket
{
    int UserIndex { get; }

    /// <summary>The highest seq received; the resume point of a reconnect.</summary>
    long LastSeq { get; }

    long Duplicates { get; }

    long Gaps { get; }

    /// <summary>Opens the socket and starts receiving; false (with the error counted) when the handshake fails.</summary>
    Task<bool> ConnectAsync(Uri endpoint, bool since, HttpMessageInvoker invoker, CancellationToken cancellationToken);

    /// <summary>Drops the connection (without a close handshake where the client allows it).</summary>
    void Drop();
}
