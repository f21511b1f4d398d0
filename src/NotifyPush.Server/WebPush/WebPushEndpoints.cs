using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Api;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// <c>/push</c>: a signed-in browser saves (<c>POST</c>) or removes (<c>DELETE</c>) its push subscription with the
/// user's own credential, under the socket's rules (a bearer token, or the cookie with an allowed Origin); and
/// <c>GET /push/vapid-public-key</c>, public, answers the key browsers subscribe with. 404 on each while Web Push is off.
/// </summary>
public static class WebPushEndpoints
{
    /// <summary>The subscriptions' path.</summary>
    public const string SubscriptionsPath = "/push/subscriptions";

    /// <summary>The VAPID public key's path.</summary>
    public const string PublicKeyPath = "/push/vapid-public-key";

    // A subscription is well under 2 KB (a 1,024-character endpoint and two short keys).
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapWebPush(this IEndpointRouteBuilder app)
    {
        var push = app.MapGroup(string.Empty).WithTags("Web Push");
        push.MapGet(PublicKeyPath, GetPublicKey)
            .WithName("GetVapidPublicKey")
            .WithSummary("The server's VAPID public key (base64url), the applicationServerKey browsers subscribe with.")
            .WithDescription("Public. 404 problem when Web Push is not enabled (NotifyPush:WebPush).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        push.MapPost(SubscriptionsPath, SubscribeAsync)
            .RequireAuthorization(NotifyPushPolicies.SocketUser)
            .WithName("SavePushSubscription")
            .WithSummary("Save the signed-in user's browser push subscription (PushSubscription.toJSON()).")
            .WithDescription("User credential (Authorization: Bearer <user jwt>, or the cookie with an allowed Origin); never a service credential. 201 when saved (saving one again replaces it; an endpoint saved by another user moves to this one). 400 naming the field: endpoint not https, not an allowed push-service host, too long; p256dh not a 65-byte P-256 point; auth not 16 bytes. 409 over NotifyPush:WebPush:MaxSubscriptionsPerUser. 404 when Web Push is off.")
            .Accepts<PushSubscriptionBody>("application/json")
            .Produces(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        push.MapDelete(SubscriptionsPath, UnsubscribeAsync)
            .RequireAuthorization(NotifyPushPolicies.SocketUser)
            .WithName("DeletePushSubscription")
            .WithSummary("Remove one of the signed-in user's push subscriptions, named by its endpoint: {\"endpoint\": \"…\"}.")
            .WithDescription("User credential, as for POST. 204 whether or not the user had it (removing twice is the same as once). 404 when Web Push is off.")
            .Accepts<PushUnsubscribeBody>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static Results<Ok<VapidPublicKeyResponse>, ProblemHttpResult> GetPublicKey(IOptions<WebPushOptions> options) =>
        options.Value.Enabled
            ? TypedResults.Ok(new VapidPublicKeyResponse(options.Value.PublicKey!))
            : NotEnabled();

    internal static async Task<Results<Created, ValidationProblem, ProblemHttpResult>> SubscribeAsync(
        HttpContext context, IWebPushStore store, IOptions<WebPushOptions> options, IOptions<ApiOptions> api, TimeProvider timeProvider)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return NotEnabled();
        }

        var (body, problem) = await ReadBodyAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var root = body!.RootElement;
            var endpoint = ReadString(root, "endpoint");
            if (endpoint is null)
            {
                errors["endpoint"] = ["endpoint is required: a string."];
            }
            else if (PushEndpointRule.Problem(endpoint, settings) is { } endpointProblem)
            {
                errors["endpoint"] = [endpointProblem];
            }

            var keys = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("keys", out var k) && k.ValueKind == JsonValueKind.Object ? k : (JsonElement?)null;
            var p256dh = keys is { } ks ? ReadString(ks, "p256dh") : null;
            var auth = keys is { } ka ? ReadString(ka, "auth") : null;
            if (!WebPushKeys.IsPublicKey(p256dh))
            {
                errors["keys.p256dh"] = ["keys.p256dh must be the browser's uncompressed P-256 public key: 65 bytes, base64url."];
            }

            if (WebPushKeys.Decode(auth) is not { Length: WebPushKeys.AuthSecretBytes })
            {
                errors["keys.auth"] = ["keys.auth must be the browser's authentication secret: 16 bytes, base64url."];
            }

            if (errors.Count > 0)
            {
                return ApiProblems.Invalid(errors);
            }

            var userId = context.User.FindFirst(NotifyPushClaimTypes.UserId)!.Value;
            var subscription = new PushSubscriptionRecord(userId, endpoint!, p256dh!, auth!, timeProvider.GetUtcNow());
            try
            {
                if (!await store.SavePushSubscriptionAsync(subscription, settings.MaxSubscriptionsPerUser, context.RequestAborted))
                {
                    return TypedResults.Problem(
                        $"The user already has {settings.MaxSubscriptionsPerUser} push subscriptions ({WebPushOptions.SectionName}:MaxSubscriptionsPerUser); remove one first (DELETE {SubscriptionsPath}).",
                        statusCode: StatusCodes.Status409Conflict,
                        title: "Too many push subscriptions");
                }
            }
            catch (StoreUnavailableException)
            {
                return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(api.Value.UnavailableRetryAfterSeconds));
            }

            return TypedResults.Created();
        }
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> UnsubscribeAsync(
        HttpContext context, IWebPushStore store, IOptions<WebPushOptions> options, IOptions<ApiOptions> api)
    {
        if (!options.Value.Enabled)
        {
            return NotEnabled();
        }

        var (body, problem) = await ReadBodyAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        string? endpoint;
        using (body)
        {
            endpoint = ReadString(body!.RootElement, "endpoint");
        }

        if (string.IsNullOrEmpty(endpoint) || endpoint.Length > PushEndpointRule.MaxLength)
        {
            return ApiProblems.Invalid(new Dictionary<string, string[]> { ["endpoint"] = [$"endpoint is required: the subscription's endpoint, at most {PushEndpointRule.MaxLength} characters."] });
        }

        try
        {
            await store.DeletePushSubscriptionAsync(context.User.FindFirst(NotifyPushClaimTypes.UserId)!.Value, endpoint, context.RequestAborted);
        }
        catch (StoreUnavailableException)
        {
            return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(api.Value.UnavailableRetryAfterSeconds));
        }

        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotEnabled() =>
        TypedResults.Problem(
            $"Web Push is not enabled on this server ({WebPushOptions.SectionName}:Subject, PublicKey and PrivateKey are not set).",
            statusCode: StatusCodes.Status404NotFound,
            title: "Web Push not enabled");

    private static async Task<(JsonDocument? Body, ProblemHttpResult? Problem)> ReadBodyAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, ApiProblems.UnsupportedMediaType());
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return (null, ApiProblems.PayloadTooLarge($"A push subscription body is at most {MaxBodyBytes} bytes."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return (null, ApiProblems.PayloadTooLarge($"A push subscription body is at most {MaxBodyBytes} bytes."));
            }
        }

        try
        {
            var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, ApiProblems.BadRequest("The body must be a JSON object."));
            }

            return (document, null);
        }
        catch (JsonException exception)
        {
            return (null, ApiProblems.BadRequest($"The body is not valid JSON: {exception.Message}"));
        }
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
