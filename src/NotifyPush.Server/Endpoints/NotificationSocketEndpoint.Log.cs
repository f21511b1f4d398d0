using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Endpoints;

public static partial class NotificationSocketEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.SocketAccepted, LogLevel.Debug, "Accepted socket {ConnectionId} of user {UserId} (since {Since}).")]
        public static partial void Accepted(ILogger logger, string connectionId, string userId, long? since);
    }
}
