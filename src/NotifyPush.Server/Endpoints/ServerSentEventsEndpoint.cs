using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// <c>GET /sse</c>, the Server-Sent Events fallback of <c>/ws</c> for clients behind proxies that refuse WebSocket
/// upgrades: the same credential rules, limits and refusals (plain HTTP), then the same connection over a
/// <see cref="ServerSentEventsTransport"/>; and <c>POST /sse/ack</c>, its acknowledgements.
/// </summary>
public static partial class ServerSentEventsEndpoint
{
    /// <summary>The event stream's path; like <c>/ws</c>, a user token may come in its query string.</summary>
    public const string Path = "/sse";

    /// <summary>Where a client of the event stream acknowledges (<c>{"seq":N}</c>).</summary>
    public const string AckPath = "/sse/ack";

    private const string EventStreamMediaType = "text/event-stream";

    // An ack body is a few dozen bytes; anything much larger is not one.
    private const int MaxAckBodyBytes = 1024;

    /// <summary>Maps <c>GET /sse</c> and <c>POST /sse/ack</c>, both for an authenticated user (cookie only with an allowed Origin).</summary>
    public static IEndpointRouteBuilder MapServerSentEvents(this IEndpointRouteBuilder app)
    {
        // The stream's policy is checked by the endpoint, so that nothing of the check stays referenced for the
        // stream's life (SocketAuthorization); the short ack requests go through the middleware.
        app.MapGet(Path, StreamAsync)
            .WithName("OpenEventStream")
            .WithSummary("The user's notifications as Server-Sent Events (the fallback for a browser that cannot open /ws): the same frames, each event's id its seq.")
            .Produces<string>(StatusCodes.Status200OK, EventStreamMediaType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status406NotAcceptable)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapPost(AckPath, AckAsync).RequireAuthorization(NotifyPushPolicies.SocketUser)
            .WithName("AcknowledgeEventStream")
            .WithSummary("Acknowledges everything up to seq of the user's stream (cumulative, coalesced like a socket's acks).")
            .Accepts<EventStreamAck>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task StreamAsync(HttpContext context, ConnectionRegistry registry, HandshakeRateLimiter handshakes, ConnectionServices connectionServices, NotifyPushMetrics metrics, ILoggerFactory loggerFactory)
    {
        if (await SocketAuthorization.AuthorizeAsync(context) is not { } credential)
        {
            return;
        }

        var (userId, credentialDeadline) = credential;

        if (!AcceptsEventStream(context.Request))
        {
            metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.BadRequest);
            await ConnectionHandshake.Refuse(context, StatusCodes.Status406NotAcceptable, "Event stream not accepted", "GET /sse answers text/event-stream only; send Accept: text/event-stream.");
            return;
        }

        if (!TryReadResume(context, out var resume, out var invalid))
        {
            metrics.Handshake(NotifyPushMetrics.HandshakeOutcomes.BadRequest);
            await ConnectionHandshake.Refuse(context, StatusCodes.Status400BadRequest, "Invalid " + invalid, invalid + " must be an integer of at least 0.");
            return;
        }

        var logger = loggerFactory.CreateLogger(typeof(ServerSentEventsEndpoint));
        if (await ConnectionHandshake.TryAdmitAsync(context, userId, registry, handshakes, metrics, logger) is not { } admitted)
        {
            return;
        }

        // The stream lives for hours: the credential's headers are not needed any more (see NotificationSocketEndpoint).
        context.Request.Headers.Remove(HeaderNames.Authorization);
        context.Request.Headers.Remove(HeaderNames.Cookie);

        var response = context.Response;
        response.ContentType = EventStreamMediaType;
        // no-cache: no cache may answer a later GET with this stream. X-Accel-Buffering: nginx passes each event on at
        // once instead of holding it in its proxy buffer (docs/deployment.md has the other proxies' settings).
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        await using (var slot = admitted)
        {
            var connection = new NotificationConnection(new ServerSentEventsTransport(context), userId, credentialDeadline, connectionServices);
            using (logger.BeginScope(new ConnectionLogScope(connection.ConnectionId, connection.UserId)))
            {
                Log.Accepted(logger, connection.ConnectionId, connection.UserId, resume.Since);
                slot.Attach(connection);
                await connection.RunAsync(resume, context.RequestAborted);
            }
        }
    }

    private static async Task<IResult> AckAsync(HttpContext context, ConnectionRegistry registry, StreamReplay replay, AckCoalescer acks, NotifyPushMetrics metrics)
    {
        var userId = context.User.FindFirst(NotifyPushClaimTypes.UserId)!.Value;
        var (seq, error) = await ReadAckAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Invalid ack");
        }

        // As on the socket, a client may only acknowledge what was sent to it: a seq past the stream's head would
        // mark notifications delivered before they exist. This replica's streams of the user usually prove it;
        // otherwise (the ack reached another replica than the stream) the store decides.
        if (seq > HighestSentSeq(registry, userId))
        {
            UserStreamState state;
            try
            {
                state = await replay.GetStateAsync(userId, context.RequestAborted);
            }
            catch (StoreUnavailableException)
            {
                context.Response.Headers.RetryAfter = "1";
                return TypedResults.Problem("The store is unavailable; send the ack again.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Store unavailable");
            }

            if (seq > state.LastSeq)
            {
                return TypedResults.Problem($"seq {seq} is past the last notification of the stream.", statusCode: StatusCodes.Status422UnprocessableEntity, title: "Ack beyond the stream");
            }
        }

        // Coalesced with the socket acks: one store write per user per flush interval.
        acks.Record(userId, seq);
        metrics.AckReceived();
        return TypedResults.NoContent();
    }

    private static long HighestSentSeq(ConnectionRegistry registry, string userId)
    {
        var highest = 0L;
        foreach (var connection in registry.GetConnections(userId))
        {
            highest = Math.Max(highest, connection.LastSentSeq);
        }

        return highest;
    }

    private static async Task<(long Seq, string? Error)> ReadAckAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (0, "Send the ack as application/json: {\"seq\":N}.");
        }

        if (request.ContentLength > MaxAckBodyBytes)
        {
            return (0, $"An ack body is at most {MaxAckBodyBytes} bytes.");
        }

        var buffer = new byte[MaxAckBodyBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > MaxAckBodyBytes)
        {
            return (0, $"An ack body is at most {MaxAckBodyBytes} bytes.");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("seq", out var seq)
                && seq.ValueKind == JsonValueKind.Number
                && seq.TryGetInt64(out var value)
                && value >= 0)
            {
                return (value, null);
            }
        }
        catch (JsonException)
        {
            // Answered below like any other body that is not an ack.
        }

        return (0, "The body must be {\"seq\":N} with N an integer of at least 0.");
    }

    private static bool AcceptsEventStream(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        return accept.Count == 0 || accept.Any(value =>
            value.MediaType.Equals(EventStreamMediaType, StringComparison.OrdinalIgnoreCase)
            || value.MediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase)
            || value.MediaType.Equals("*/*", StringComparison.Ordinal));
    }

    /// <summary>
    /// The resume point: <c>Last-Event-ID</c> when the client sent one (a browser's own reconnect does, and it is newer
    /// than the <c>since</c> the URL was opened with), else <c>since</c>, else what the user has not acknowledged.
    /// </summary>
    private static bool TryReadResume(HttpContext context, out ResumePoint resume, out string invalid)
    {
        var lastEventId = context.Request.Headers["Last-Event-ID"];
        if (lastEventId.Count > 0 && !string.IsNullOrEmpty(lastEventId.ToString()))
        {
            invalid = "Last-Event-ID";
            return ConnectionHandshake.TryParseSeq(lastEventId.ToString(), out resume);
        }

        invalid = "since";
        return ConnectionHandshake.TryReadSince(context, out resume);
    }
}
