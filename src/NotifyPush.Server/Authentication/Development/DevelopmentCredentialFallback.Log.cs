using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

internal sealed partial class DevelopmentCredentialFallback
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthDevelopmentSigningKey, EventName = "DevelopmentSigningKey", Level = LogLevel.Warning,
            Message = "Development mode: {Settings} not configured, using the development defaults. The development signing key is public: never run this way outside Development.")]
        public static partial void DevelopmentSigningKey(ILogger logger, string settings);

        [LoggerMessage(EventId = NotifyPushEventIds.AuthDevelopmentApiKey, EventName = "DevelopmentApiKey", Level = LogLevel.Warning,
            Message = "Development mode: no service credential configured; accepting the public development API key 'dev-api-key' as caller '{CallerName}'. Never run this way outside Development.")]
        public static partial void DevelopmentApiKey(ILogger logger, string callerName);
    }
}
