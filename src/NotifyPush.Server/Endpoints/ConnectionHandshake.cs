using System.Globalization;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// The steps of opening a connection that <c>/ws</c> and <c>/sse</c> share, so both transports keep the same limits
/// and answer a refusal with the same plain HTTP status and problem details.
/// </summary>
internal static partial class ConnectionHandshake
{
    /// <summary>Reads <c>since</c> from the query: absent means "what the user has not acknowledged".</summary>
    public static bool TryReadSince(HttpContext context, out ResumePoint resume)
    {
        var raw = context.Request.Query["since"];
        if (raw.Count == 0)
        {
            resume = ResumePoint.Unacknowledged;
            return true;
        }

        return TryParseSeq(raw.ToString(), out resume);
    }

    /// <summary>Parses a seq (an integer of at least 0) as the point to resume after.</summary>
    public static bool TryParseSeq(string? raw, out ResumePoint resume)
    {
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var since))
        {
            resume = ResumePoint.After(since);
            return true;
        }

        resume = default;
        return false;
    }

    /// <summary>
    /// Applies the per-user handshake rate and the registry's admission (draining, the replica's and the user's
    /// connection caps). Returns the slot, or null after answering the refusal.
    /// </summary>
    public static async Task<RegistrySlot?> TryAdmitAsync(HttpContext context, string userId, ConnectionRegistry registry, HandshakeRateLimiter handshakes, NotifyPushMetrics metrics, ILogger logger)
    {
        // A client reconnecting in a loop is slowed per user, before it costs a slot, a replay or an upgrade.
        if (!handshakes.TryAcquire(userId, out var retryAfter))
        {
            metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.RateLimited);
            Log.HandshakeRateLimited(logger, userId, (long)retryAfter.TotalMilliseconds);
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await Refuse(context, StatusCodes.Status429TooManyRequests, "Too many handshakes", "This user opened connections too often; wait for Retry-After seconds, then connect with since.");
            return null;
        }

        // Decided before the upgrade or the stream starts, so every refusal is plain HTTP; Kestrel's connection cap is the backstop.
        var admission = await registry.TryAdmitAsync(userId, context.RequestAborted);
        metrics.Handshake(admission.Refusal switch
        {
            AdmissionRefusal.None => NotifyPushMetrics.HandshakeOutcomes.Accepted,
            AdmissionRefusal.UserFull => NotifyPushMetrics.HandshakeOutcomes.TooManySockets,
            _ => NotifyPushMetrics.HandshakeOutcomes.Unavailable,
        });
        switch (admission.Refusal)
        {
            case AdmissionRefusal.Draining:
                context.Response.Headers.RetryAfter = "1";
                await Refuse(context, StatusCodes.Status503ServiceUnavailable, "Replica draining", "This replica is shutting down; connect to another one.");
                return null;
            case AdmissionRefusal.ReplicaFull:
                context.Response.Headers.RetryAfter = "1";
                await Refuse(context, StatusCodes.Status503ServiceUnavailable, "Replica at capacity", "This replica holds its maximum of sockets; connect again (the load balancer may pick another replica).");
                return null;
            case AdmissionRefusal.UserFull:
                await Refuse(context, StatusCodes.Status429TooManyRequests, "Too many sockets", "This user holds the maximum number of sockets on this replica.");
                return null;
        }

        return admission.Slot;
    }

    /// <summary>Answers a refusal as problem details.</summary>
    public static Task Refuse(HttpContext context, int status, string title, string detail) =>
        Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);

    private static partial class Log
    {
        // Debug: a client in a reconnect loop would otherwise write a line per attempt; the handshake metric counts them.
        [LoggerMessage(NotifyPushEventIds.HandshakeRateLimited, LogLevel.Debug, "Refused a handshake of user {UserId} with 429: too many handshakes; retry after {RetryAfterMs} ms.")]
        public static partial void HandshakeRateLimited(ILogger logger, string userId, long retryAfterMs);
    }
}
