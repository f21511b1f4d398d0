using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Endpoints;

public static partial class NotificationSocketEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.SocketAccepted, LogLevel.Debug, "Accepted socket {ConnectionId} of user {UserId} (since {Since}).")]
        public static partial void Accepted(ILogger logger, string connectionId, string userId, long? since);

        // Debug: a client in a reconnect loop would otherwise write a line per attempt; the handshake metric counts them.
        [LoggerMessage(NotifyPushEventIds.HandshakeRateLimited, LogLevel.Debug, "Refused a socket handshake of user {UserId} with 429: too many handshakes; retry after {RetryAfterMs} ms.")]
        public static partial void HandshakeRateLimited(ILogger logger, string userId, long retryAfterMs);
    }
}
