using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>Limits and timers of one WebSocket connection. Section <c>NotifyPush:Connections</c>.</summary>
public sealed class ConnectionOptions
{
    public const string SectionName = "NotifyPush:Connections";

    /// <summary>Seconds between server pings; sent to the client in <c>welcome</c>. Default 25.</summary>
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 25;

    /// <summary>Seconds a client may take to answer a ping (with any frame) before its socket is closed. Default 10.</summary>
    [Range(1, 3600)]
    public int HeartbeatTimeoutSeconds { get; set; } = 10;

    /// <summary>Frames queued for one socket before it counts as a slow consumer and is closed with 4008. Default 1024.</summary>
    [Range(2, 1_000_000)]
    public int SendQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes of frames queued for one socket before it counts as a slow consumer and is closed with 4008, whatever
    /// the frame count. Default 1 MiB (1,048,576), as Centrifuge's per-client writer. One frame larger than this is
    /// still queued when the queue is empty.
    /// </summary>
    [Range(1024, int.MaxValue)]
    public int SendQueueBytes { get; set; } = 1024 * 1024;

    /// <summary>Seconds one frame write may take before the socket is aborted. Default 15.</summary>
    [Range(1, 3600)]
    public int SendTimeoutSeconds { get; set; } = 15;

    /// <summary>Seconds the close handshake may take before the socket is aborted. Default 5.</summary>
    [Range(1, 600)]
    public int CloseTimeoutSeconds { get; set; } = 5;

    /// <summary>Largest client frame in bytes; a larger one closes the socket with 1009. Default 16384 (an <c>auth</c> frame carries a JWT).</summary>
    [Range(256, 16 * 1024 * 1024)]
    public int MaxInboundFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Open sockets one user may hold on one replica; the next handshake gets 429. Default 16.</summary>
    [Range(1, 100_000)]
    public int MaxSocketsPerUser { get; set; } = 16;

    /// <summary>
    /// In-band <c>auth</c> frames one socket may send at once (token bucket size); each costs a signature check. One
    /// more than the bucket holds closes the socket with 1008. Default 5.
    /// </summary>
    [Range(1, 1000)]
    public int AuthFrameBurst { get; set; } = 5;

    /// <summary>In-band <c>auth</c> frames per minute that refill one socket's bucket. Default 6 (one every 10 s).</summary>
    [Range(1, 60_000)]
    public int AuthFramesPerMinute { get; set; } = 6;

    /// <summary>
    /// Socket handshakes one user may make at once on this replica (token bucket size); past it the handshake gets 429
    /// with <c>Retry-After</c>, before the upgrade. Default 20 (above <see cref="MaxSocketsPerUser"/>, so every tab of a
    /// user reconnects at once after a deploy).
    /// </summary>
    [Range(1, 100_000)]
    public int HandshakeBurstPerUser { get; set; } = 20;

    /// <summary>Socket handshakes per minute that refill one user's bucket on this replica. Default 30 (one every 2 s).</summary>
    [Range(1, 600_000)]
    public int HandshakesPerMinutePerUser { get; set; } = 30;

    /// <summary>Seconds before the credential expires at which <c>token-expiring</c> is sent. Default 30.</summary>
    [Range(1, 86_400)]
    public int TokenExpiryWarningSeconds { get; set; } = 30;

    /// <summary>Seconds over which a draining replica spreads its 1012 closes, so clients do not reconnect at once. Default 10.</summary>
    [Range(0, 3600)]
    public int DrainSeconds { get; set; } = 10;

    /// <summary>
    /// Most TCP connections (sockets and HTTP requests) the replica holds at once; Kestrel refuses further ones.
    /// 0 (default) derives it from the process's open-file limit minus 1024 descriptors kept for the store, Redis
    /// and the runtime (20,000 → 18,976), so the replica refuses connections instead of failing at the limit;
    /// unlimited where the limit cannot be read.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxConnections { get; set; }

    /// <summary>
    /// Most notification sockets on this replica; the next handshake gets 503 "Replica at capacity" with
    /// <c>Retry-After</c>, so the client tries again (the load balancer may pick another replica). 0 (default)
    /// leaves 256 of <see cref="MaxConnections"/> for HTTP requests.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxSockets { get; set; }
}
