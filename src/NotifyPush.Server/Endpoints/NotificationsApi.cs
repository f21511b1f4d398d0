using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Api;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Endpoints;

/// <summary>The service API: send, read history, sign a user out. Every route needs a service credential holding the route's scope.</summary>
public static class NotificationsApi
{

    public static RouteGroupBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api")
            .RequireAuthorization(NotifyPushPolicies.ServiceCaller)
            .AddEndpointFilter<ServiceRateLimitFilter>()
            .WithTags("Notifications")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/notifications", static (HttpContext context, NotificationSender sender) => sender.SendAsync(context, ServiceCaller.Get(context).Name))
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.Send))
            .WithName("SendNotification")
            .WithSummary("Store a notification for one user, or one per user for many, and push it to their sockets.")
            .WithDescription("202 means committed: every recipient's sockets receive it, live or replayed on reconnect. A retry with the same Idempotency-Key and body returns the original result (header Idempotent-Replayed: true); the same key with another body is 422.")
            .Accepts<SendRequestBody>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        // {userId} is matched here but read by PathUserId from the raw target: the route value is not decoded exactly once.
        api.MapGet("/users/{userId}/notifications", GetHistoryAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.Read))
            .WithName("GetNotificationHistory")
            .WithSummary("A page of one user's stream, oldest first, with each notification's delivery state.")
            .WithDescription("Query after=<seq> (default 0) and limit=<n> (default NotifyPush:Api:DefaultHistoryLimit). The user id is percent-encoded in the path, '/' included.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/users/{userId}/disconnect", DisconnectAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.Disconnect))
            .WithName("DisconnectUser")
            .WithSummary("Close every socket of the user on every replica with 4003 (signed out); with {\"revokeTokens\": true} also revoke every token of the user issued before now.")
            .WithDescription("The body is optional. Also removes the user's Web Push subscriptions (after the publish; 503 when the store is unavailable then: retry). 202 only once the sign-out was published to every replica; 503 with Retry-After when the backplane is down or stalled (a sign-out is not stored, so retry) or, when revoking, the store is unavailable. A revocation is stored: the user's tokens issued (iat) up to the returned tokensRevokedBefore get 401 at the handshake and close 4003 on in-band refresh, on every replica.")
            .Accepts<DisconnectRequest>(isOptional: true, "application/json")
            .Produces<DisconnectResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPresenceApi();
        return api;
    }

    internal static async Task<Results<Ok<HistoryResponse>, ProblemHttpResult>> GetHistoryAsync(
        HttpContext context,
        INotificationStore store,
        IOptions<ApiOptions> options,
        TimeProvider timeProvider)
    {
        var settings = options.Value;
        if (!PathUserId.TryRead(context, out var userId, out var problem))
        {
            return ApiProblems.BadRequest(problem);
        }

        if (!TryReadQuery(context, "after", 0, long.MaxValue, 0, out var after) ||
            !TryReadQuery(context, "limit", 1, settings.MaxHistoryLimit, settings.DefaultHistoryLimit, out var limit))
        {
            return ApiProblems.BadRequest($"after must be an integer of at least 0 and limit an integer from 1 to {settings.MaxHistoryLimit}.");
        }

        try
        {
            var state = await store.GetStreamStateAsync(userId, context.RequestAborted);
            var rows = await store.ReadAsync(userId, after, (int)limit, timeProvider.GetUtcNow(), context.RequestAborted);
            var items = new HistoryItem[rows.Count];
            for (var i = 0; i < items.Length; i++)
            {
                var row = rows[i];
                using var payload = JsonDocument.Parse(row.PayloadJson);
                items[i] = new HistoryItem(row.Seq, row.Id, row.Type, payload.RootElement.Clone(), row.CreatedAt.UtcDateTime, row.ExpiresAt.UtcDateTime, row.Seq <= state.AckedSeq);
            }

            return TypedResults.Ok(new HistoryResponse(userId, state.LastSeq, state.AckedSeq, state.PrunedSeq, items));
        }
        catch (StoreUnavailableException)
        {
            return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(settings.UnavailableRetryAfterSeconds));
        }
    }

    internal static async Task<Results<Accepted, Accepted<DisconnectResponse>, ProblemHttpResult>> DisconnectAsync(
        HttpContext context,
        NotificationPublisher publisher,
        TokenRevocations revocations,
        IWebPushStore webPush,
        IOptions<ApiOptions> options)
    {
        if (!PathUserId.TryRead(context, out var userId, out var problem))
        {
            return ApiProblems.BadRequest(problem);
        }

        var (request, bodyProblem) = await ReadDisconnectRequestAsync(context);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        // Stored before the sign-out is published: a replica that drops its cached state on the sign-out then reads
        // the revocation, and a socket that reconnects after its 4003 is refused.
        DateTimeOffset? revokedBefore = null;
        if (request.RevokeTokens)
        {
            try
            {
                revokedBefore = await revocations.RevokeAsync(userId, context.RequestAborted);
            }
            catch (StoreUnavailableException)
            {
                return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
            }
        }

        // Unlike a notification, a sign-out lives only on the backplane: when it cannot be published the caller
        // must know, and retry.
        if (!await publisher.DisconnectUserAsync(userId, context.RequestAborted))
        {
            return ApiProblems.BackplaneUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
        }

        // A signed-out user's browsers get no more pushes: their subscriptions go with the sign-out (a browser that
        // signs in again subscribes again). After the publish, so a store outage never keeps sockets open; the 503 then
        // asks for the retry that removes them (publishing the sign-out again is harmless).
        try
        {
            await webPush.DeletePushSubscriptionsAsync(userId, context.RequestAborted);
        }
        catch (StoreUnavailableException)
        {
            return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
        }

        return revokedBefore is { } instant
            ? TypedResults.Accepted((string?)null, new DisconnectResponse(userId, instant))
            : TypedResults.Accepted((string?)null);
    }

    /// <summary>The optional body of a sign-out: none (or an empty one) is a plain sign-out.</summary>
    private static async Task<(DisconnectRequest Request, ProblemHttpResult? Problem)> ReadDisconnectRequestAsync(HttpContext context)
    {
        if (context.Request.ContentLength == 0 || (context.Request.ContentLength is null && !context.Request.Headers.ContainsKey("Transfer-Encoding")))
        {
            return (new DisconnectRequest(), null);
        }

        if (!context.Request.HasJsonContentType())
        {
            return (new DisconnectRequest(), ApiProblems.UnsupportedMediaType());
        }

        try
        {
            return (await context.Request.ReadFromJsonAsync<DisconnectRequest>(context.RequestAborted) ?? new DisconnectRequest(), null);
        }
        catch (JsonException ex)
        {
            return (new DisconnectRequest(), ApiProblems.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
    }

    /// <summary>The declared charset when it is not UTF-8 (JSON between systems is UTF-8, RFC 8259 §8.1), else null.</summary>
    internal static string? NonUtf8Charset(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.Charset.HasValue)
        {
            return null;
        }

        var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString();
        return charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase) ? null : charset;
    }

    private static bool TryReadQuery(HttpContext context, string name, long min, long max, long fallback, out long value)
    {
        var raw = context.Request.Query[name];
        if (raw.Count == 0)
        {
            value = fallback;
            return true;
        }

        return long.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
    }
}
