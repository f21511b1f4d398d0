using System.Net.WebSockets;

namespace NotifyPush.Client.Subscribing;

/// <summary>Settings of a <see cref="NotifyPushSubscriber"/>.</summary>
public sealed class NotifyPushSubscriberOptions
{
    /// <summary>The socket endpoint, e.g. <c>wss://notify.example.com/ws</c>. Required.</summary>
    public Uri? SocketUri { get; set; }

    /// <summary>
    /// Returns a user token (JWT). Called before every connect, on <c>token-expiring</c> (the new token is sent in-band
    /// as <c>{"type":"auth",…}</c>, the socket stays open) and so after a 4001. It is sent as
    /// <c>Authorization: Bearer</c>. Null: no token is sent (authenticate through <see cref="ConfigureWebSocket"/>, e.g. a cookie).
    /// An exception from it while connecting ends the enumeration with that exception.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>
    /// The seq to resume after on the first connect (a position the application stored). Null: the server replays
    /// what the user has not acknowledged. Later connects resume after the last notification the application processed.
    /// </summary>
    public long? Since { get; set; }

    /// <summary>
    /// The window of the first reconnect delay: reconnect n (from 0) waits a random time up to
    /// min(<see cref="ReconnectMaxDelay"/>, ReconnectFirstDelay × 2^n) (full jitter). Default 5 s.
    /// </summary>
    public TimeSpan ReconnectFirstDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest reconnect delay. Default 60 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long past the server's heartbeat interval a socket may stay silent before it is taken for dead (half-open:
    /// the peer is gone without a FIN) and replaced. Default 10 s.
    /// </summary>
    public TimeSpan HeartbeatGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a handshake (and the wait for <c>welcome</c>) may take. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one frame write may take before the socket is dropped and replaced. Default 10 s.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the close handshake may take when the subscriber closes. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Acks are coalesced while more notifications wait in the buffer; this is the longest an ack of processed
    /// notifications waits for that. Default 1 s.
    /// </summary>
    public TimeSpan AckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Notifications received but not yet taken by the reader. When it is full the subscriber stops reading the socket;
    /// the server then closes it as a slow consumer (4008) and the subscriber resumes from the store. Default 1024.
    /// </summary>
    public int ReceiveBufferCapacity { get; set; } = 1024;

    /// <summary>
    /// Optional invoker for the handshake (e.g. an <c>HttpClient</c> over a <c>SocketsHttpHandler</c> whose
    /// <c>ConnectCallback</c> binds a source address). Not disposed by the subscriber.
    /// </summary>
    public HttpMessageInvoker? HttpMessageInvoker { get; set; }

    /// <summary>Optional hook to set up each <see cref="ClientWebSocket"/> (headers, cookies, proxy, certificates).</summary>
    public Action<ClientWebSocketOptions>? ConfigureWebSocket { get; set; }

    /// <summary>The clock for backoff delays and the heartbeat watchdog. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (SocketUri is null || !SocketUri.IsAbsoluteUri || SocketUri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException("SocketUri must be an absolute ws:// or wss:// URI, e.g. wss://notify.example.com/ws.", nameof(SocketUri));
        }

        if (Since < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Since), Since, "Since must be at least 0.");
        }

        if (ReceiveBufferCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferCapacity), ReceiveBufferCapacity, "The buffer needs room for at least one notification.");
        }

        if (ReconnectFirstDelay < TimeSpan.Zero || ReconnectMaxDelay < TimeSpan.Zero || HeartbeatGrace < TimeSpan.Zero || AckInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReconnectFirstDelay), "Delays must not be negative.");
        }

        if (ConnectTimeout <= TimeSpan.Zero || SendTimeout <= TimeSpan.Zero || CloseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), "Timeouts must be positive.");
        }
    }
}
