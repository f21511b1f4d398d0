using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Hosting;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// <c>/ws</c>: authenticates during the handshake and refuses with plain HTTP (never an upgrade) when it must;
/// then runs the socket's connection until it closes.
/// </summary>
public static partial class NotificationSocketEndpoint
{
    /// <summary>The socket's path; the only one where a user token may come in the query string.</summary>
    public const string Path = "/ws";

    // RFC 6455; the only version ASP.NET Core's WebSocket middleware accepts.
    private const string SupportedWebSocketVersion = "13";

    // Protocol-level keep-alives are off: the application heartbeat (ping/pong frames) detects dead peers,
    // and the browser cannot see control frames anyway.
    private static readonly WebSocketAcceptContext AcceptContext = new() { KeepAliveInterval = TimeSpan.Zero };

    /// <summary>Maps <c>/ws</c> with <c>Map</c> (not MapGet) so WebSockets over HTTP/2 CONNECT work too.</summary>
    public static IEndpointConventionBuilder MapNotificationSocket(this IEndpointRouteBuilder app) =>
        app.Map(Path, HandleAsync);

    private static async Task HandleAsync(HttpContext context, ConnectionRegistry registry, HandshakeRateLimiter handshakes, ConnectionServices connectionServices, NotifyPushMetrics metrics, StartupWarmUp warmUp, ILoggerFactory loggerFactory)
    {
        // The SocketUser policy, checked here rather than by the authorization middleware so that nothing of the
        // check stays referenced for the socket's life (SocketAuthorization).
        if (await SocketAuthorization.AuthorizeAsync(context) is not { } credential)
        {
            return;
        }

        var (userId, credentialDeadline) = credential;

        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (AsksForAnotherWebSocketVersion(context))
            {
                // RFC 6455 §4.2.2: name the version this server speaks, so a client that has several can retry with it.
                context.Response.Headers.SecWebSocketVersion = SupportedWebSocketVersion;
                if (HttpProtocol.IsHttp11(context.Request.Protocol))
                {
                    // RFC 9110 §15.5.22: a 426 names the protocol to upgrade to, listed in Connection as hop-by-hop (so
                    // only in HTTP/1.1). Kestrel does not add its "close" to a Connection header the app set: keep the
                    // client's.
                    context.Response.Headers.Upgrade = "websocket";
                    context.Response.Headers.Connection = HasToken(context.Request.Headers.Connection, "close") ? "Upgrade, close" : "Upgrade";
                }

                metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.BadRequest);
                await Refuse(context, StatusCodes.Status426UpgradeRequired, "WebSocket version not supported", $"This server speaks WebSocket version {SupportedWebSocketVersion} (RFC 6455).");
                return;
            }

            metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.BadRequest);
            await Refuse(context, StatusCodes.Status400BadRequest, "WebSocket upgrade required", "Open /ws as a WebSocket.");
            return;
        }

        if (!ConnectionHandshake.TryReadSince(context, out var resume))
        {
            metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.BadRequest);
            await Refuse(context, StatusCodes.Status400BadRequest, "Invalid since", "since must be an integer of at least 0.");
            return;
        }

        var logger = loggerFactory.CreateLogger(typeof(NotificationSocketEndpoint));
        if (await ConnectionHandshake.TryAdmitAsync(context, userId, registry, handshakes, metrics, logger) is not { } admitted)
        {
            return;
        }

        // The credential is checked. Its header stays referenced by the request for the socket's whole life (hours,
        // ~1 KB per socket for a JWT): drop it, which also keeps the token out of memory once it is not needed.
        context.Request.Headers.Remove(HeaderNames.Authorization);
        context.Request.Headers.Remove(HeaderNames.Cookie);

        await using (var slot = admitted)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(AcceptContext);
            var coalescer = context.Features.Get<IWriteCoalescerFeature>()?.Coalescer;
            var connection = new NotificationConnection(socket, userId, credentialDeadline, connectionServices, coalescer) { IsWarmUp = warmUp.IsWarmUpUser(userId) };
            using (logger.BeginScope(new ConnectionLogScope(connection.ConnectionId, connection.UserId)))
            {
                Log.Accepted(logger, connection.ConnectionId, connection.UserId, resume.Since);
                slot.Attach(connection);
                await connection.RunAsync(resume, context.RequestAborted);
            }
        }
    }

    /// <summary>
    /// An upgrade to WebSocket (HTTP/1.1 <c>Upgrade: websocket</c>, or an HTTP/2 extended CONNECT for <c>websocket</c>)
    /// whose <c>Sec-WebSocket-Version</c> is missing or not 13: the reason it is not a WebSocket request we accept.
    /// </summary>
    private static bool AsksForAnotherWebSocketVersion(HttpContext context)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect
            ? string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase)
            : HasToken(request.Headers.Upgrade, "websocket");
        return upgrade && request.Headers.SecWebSocketVersion.ToString() != SupportedWebSocketVersion;
    }

    private static bool HasToken(StringValues header, string token) =>
        header.Any(value => value is not null && value.Split(',').Any(item => item.Trim().Equals(token, StringComparison.OrdinalIgnoreCase)));

    private static Task Refuse(HttpContext context, int status, string title, string detail) =>
        ConnectionHandshake.Refuse(context, status, title, detail);
}
