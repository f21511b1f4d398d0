using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

internal sealed partial class UserTokenValidator
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthUserTokenRejected, EventName = "UserTokenRejected", Level = LogLevel.Debug,
            Message = "User token rejected: {Reason}.")]
        public static partial void UserTokenRejected(ILogger logger, string reason);
    }
}
