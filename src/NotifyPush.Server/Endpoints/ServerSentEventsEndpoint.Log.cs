using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Endpoints;

public static partial class ServerSentEventsEndpoint
{
    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.EventStreamAccepted, LogLevel.Debug, "Accepted event stream {ConnectionId} of user {UserId} (since {Since}).")]
        public static partial void Accepted(ILogger logger, string connectionId, string userId, long? since);
    }
}
