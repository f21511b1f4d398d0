using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

public sealed partial class HandshakeAuthenticator
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthHandshakeRejected, EventName = "HandshakeRejected", Level = LogLevel.Debug,
            Message = "Socket handshake refused with {StatusCode}: {Reason} (credential from {CredentialSource}).")]
        public static partial void HandshakeRejected(ILogger logger, int statusCode, CredentialSource credentialSource, string reason);

        [LoggerMessage(EventId = NotifyPushEventIds.AuthHandshakeOriginRejected, EventName = "HandshakeOriginRejected", Level = LogLevel.Warning,
            Message = "Socket handshake with a cookie credential from origin {Origin} refused: the origin is not in NotifyPush:Auth:AllowedOrigins.")]
        public static partial void HandshakeOriginRejected(ILogger logger, string origin);
    }
}
