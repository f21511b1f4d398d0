using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

internal sealed partial class AuthorizationProblemResultHandler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthHandshakeRejected, EventName = "HandshakeRejected", Level = LogLevel.Debug,
            Message = "Socket handshake refused with {StatusCode}: {Reason} (credential from {CredentialSource}).")]
        public static partial void HandshakeRejected(ILogger logger, int statusCode, CredentialSource credentialSource, string reason);

        [LoggerMessage(EventId = NotifyPushEventIds.AuthServiceCallRejected, EventName = "ServiceCallRejected", Level = LogLevel.Information,
            Message = "Service API call refused with {StatusCode}: {Reason}.")]
        public static partial void ServiceCallRejected(ILogger logger, int statusCode, string reason);
    }
}
