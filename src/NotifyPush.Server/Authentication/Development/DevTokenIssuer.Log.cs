using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

public sealed partial class DevTokenIssuer
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthDevTokenIssued, EventName = "DevTokenIssued", Level = LogLevel.Information,
            Message = "Development token issued for user {UserId}, expiring at {ExpiresAt:O}.")]
        public static partial void DevTokenIssued(ILogger logger, string userId, DateTimeOffset expiresAt);
    }
}
