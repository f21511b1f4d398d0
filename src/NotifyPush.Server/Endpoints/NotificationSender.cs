using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Api;
using NotifyPush.Server.WebPush;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// The send of the service API (<c>POST /api/notifications</c>), for a caller the endpoint names: the service the
/// credential authenticated, or the Development service of the demo page's <c>/dev/send</c>.
/// </summary>
public sealed class NotificationSender(
    NotificationPublisher publisher,
    NotifyPushMetrics metrics,
    IOptions<ApiOptions> options,
    IOptions<WebPushOptions> webPushOptions,
    WebPushSignal webPushSignal,
    TimeProvider timeProvider)
{
    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Reads the body of <c>POST /api/notifications</c>, stores one notification per recipient as
    /// <paramref name="caller"/> and rings their doorbells; 202 once committed.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="caller">The service sending: the scope of an <c>Idempotency-Key</c> and the name in logs.</param>
    public async Task<Results<Accepted<SendResponse>, ValidationProblem, ProblemHttpResult>> SendAsync(HttpContext context, string caller)
    {
        var started = timeProvider.GetTimestamp();
        var settings = options.Value;
        var (request, idempotencyKey, problem) = await ReadAsync(context, settings, webPushOptions.Value.Enabled);
        if (request is null)
        {
            return problem!;
        }

        var now = timeProvider.GetUtcNow();
        var append = new AppendRequest(
            caller,
            idempotencyKey.Length == 0 ? null : idempotencyKey,
            // The hash only tells a keyed retry from a different request under the same key: without a key it
            // would be computed (UTF-8 copies and a SHA-256 per POST) and never read.
            idempotencyKey.Length == 0 ? string.Empty : SendRequestReader.Hash(request),
            request.UserIds,
            request.Type,
            request.PayloadJson,
            now,
            now.AddSeconds(request.TtlSeconds),
            request.WebPush);
        AppendResult result;
        try
        {
            result = await publisher.SendAsync(append, context.RequestAborted);
        }
        catch (IdempotencyConflictException)
        {
            return ApiProblems.IdempotencyConflict(idempotencyKey);
        }
        catch (StoreUnavailableException)
        {
            return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(settings.UnavailableRetryAfterSeconds));
        }

        if (request.WebPush is not null && !result.IsReplay)
        {
            // This replica's worker looks at once; the others find the jobs on their next poll.
            webPushSignal.Wake();
        }

        if (result.IsReplay)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }
        else
        {
            metrics.SendAccepted(result.Notifications.Count, timeProvider.GetElapsedTime(started));
        }

        var sent = new SentNotification[result.Notifications.Count];
        for (var i = 0; i < sent.Length; i++)
        {
            var notification = result.Notifications[i];
            sent[i] = new SentNotification(notification.UserId, notification.Id, notification.Seq);
        }

        return TypedResults.Accepted((string?)null, new SendResponse(sent));
    }

    /// <summary>The send's body and key, checked; or the problem that refuses it (nothing is stored then).</summary>
    private static async Task<(SendRequest? Request, string IdempotencyKey, Results<Accepted<SendResponse>, ValidationProblem, ProblemHttpResult>? Problem)> ReadAsync(HttpContext context, ApiOptions settings, bool webPushEnabled)
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, string.Empty, ApiProblems.UnsupportedMediaType());
        }

        if (NotificationsApi.NonUtf8Charset(context.Request) is { } charset)
        {
            return (null, string.Empty, ApiProblems.UnsupportedCharset(charset));
        }

        var idempotencyKey = context.Request.Headers[IdempotencyKeyHeader].ToString();
        if (idempotencyKey.Length > settings.MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < '!' or > '~'))
        {
            return (null, idempotencyKey, ApiProblems.BadRequest($"{IdempotencyKeyHeader} must be 1 to {settings.MaxIdempotencyKeyLength} printable ASCII characters without spaces."));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = settings.MaxRequestBodyBytes;
        }

        // Buffered whole (JsonDocument would buffer it anyway) so the bytes can be checked as UTF-8 first: the parser
        // checks the JSON structure but not the bytes inside strings, so an invalid byte in a name or a value would
        // throw later, when it is read (a 500), or be stored as is inside the payload. The buffer grows with what
        // arrives, not with Content-Length, which a client could set to the maximum and then send nothing.
        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, idempotencyKey, ApiProblems.PayloadTooLarge($"The request body is larger than {settings.MaxRequestBodyBytes} bytes."));
        }

        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        if (json.Span.StartsWith(Utf8ByteOrderMark))
        {
            json = json[Utf8ByteOrderMark.Length..];
        }

        if (!Utf8.IsValid(json.Span))
        {
            return (null, idempotencyKey, ApiProblems.BadRequest("The body is not valid UTF-8."));
        }

        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return (null, idempotencyKey, ApiProblems.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }

        if (JsonEscapes.HasLoneSurrogate(json.Span))
        {
            body.Dispose();
            return (null, idempotencyKey, ApiProblems.BadRequest(JsonEscapes.LoneSurrogateProblem));
        }

        using (body)
        {
            var read = SendRequestReader.Read(body.RootElement, settings, webPushEnabled);
            if (read.PayloadTooLarge)
            {
                return (null, idempotencyKey, ApiProblems.PayloadTooLarge($"The payload is larger than {settings.MaxPayloadBytes} bytes."));
            }

            if (read.Request is null)
            {
                return (null, idempotencyKey, ApiProblems.Invalid(read.Errors));
            }

            return (read.Request, idempotencyKey, null);
        }
    }
}
