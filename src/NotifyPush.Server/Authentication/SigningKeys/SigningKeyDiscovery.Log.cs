using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

public sealed partial class SigningKeyDiscovery
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthSigningKeysUnavailable, EventName = "SigningKeysUnavailable", Level = LogLevel.Error,
            Message = "Token signing keys could not be fetched from the OpenID Connect authority; every token is refused until they can be.")]
        public static partial void SigningKeysUnavailable(ILogger logger, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.AuthSigningKeysRecovered, EventName = "SigningKeysRecovered", Level = LogLevel.Information,
            Message = "Token signing keys fetched from the OpenID Connect authority again.")]
        public static partial void SigningKeysRecovered(ILogger logger);
    }
}
