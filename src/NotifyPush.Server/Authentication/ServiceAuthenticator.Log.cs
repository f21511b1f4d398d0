using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

public sealed partial class ServiceAuthenticator
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthServiceCallRejected, EventName = "ServiceCallRejected", Level = LogLevel.Information,
            Message = "Service API call refused with {StatusCode}: {Reason}.")]
        public static partial void ServiceCallRejected(ILogger logger, int statusCode, string reason);
    }
}
