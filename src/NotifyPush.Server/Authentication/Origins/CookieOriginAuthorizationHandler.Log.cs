using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

internal sealed partial class CookieOriginAuthorizationHandler
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.AuthHandshakeOriginRejected, EventName = "HandshakeOriginRejected", Level = LogLevel.Warning,
            Message = "Socket handshake with a cookie credential from origin {Origin} refused: the origin is not in NotifyPush:Auth:AllowedOrigins.")]
        public static partial void HandshakeOriginRejected(ILogger logger, string origin);
    }
}
