using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace NotifyPush.Server.Api;

/// <summary>The API's RFC 7807 problem responses, in one place so status, title and type stay consistent.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Missing or invalid service credential");

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Credential not allowed to call the service API");

    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "Invalid request body");

    public static ProblemHttpResult PayloadTooLarge(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");

    public static ProblemHttpResult UnsupportedMediaType() =>
        TypedResults.Problem("Send the body as application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");

    public static ProblemHttpResult UnsupportedCharset(string charset) =>
        TypedResults.Problem(
            $"Send the body as UTF-8 JSON; charset '{charset}' is not supported.",
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported media type");

    public static ProblemHttpResult IdempotencyConflict(string key) =>
        TypedResults.Problem(
            $"Idempotency-Key '{key}' was already used with a different request body.",
            statusCode: StatusCodes.Status422UnprocessableEntity,
            title: "Idempotency key reused with a different request");

    public static ProblemHttpResult RateLimited(HttpContext context, TimeSpan retryAfter)
    {
        SetRetryAfter(context, retryAfter);
        return TypedResults.Problem("Too many requests for this service credential.", statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limited");
    }

    public static ProblemHttpResult StoreUnavailable(HttpContext context, TimeSpan retryAfter) =>
        Unavailable(context, retryAfter, "Store unavailable", "The notification store is unavailable; nothing was stored. Retry with the same Idempotency-Key.");

    public static ProblemHttpResult BackplaneUnavailable(HttpContext context, TimeSpan retryAfter) =>
        Unavailable(context, retryAfter, "Backplane unavailable", "The backplane is unavailable, so the sign-out could not reach the replicas. Retry later.");

    public static ProblemHttpResult PresenceUnavailable(HttpContext context, TimeSpan retryAfter) =>
        Unavailable(context, retryAfter, "Presence unavailable", "Presence is unavailable (its Redis cannot be reached); delivery is not affected. Retry later.");

    /// <summary>A 503 with <c>Retry-After</c>: a dependency is down, the caller may retry.</summary>
    private static ProblemHttpResult Unavailable(HttpContext context, TimeSpan retryAfter, string title, string detail)
    {
        SetRetryAfter(context, retryAfter);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: title);
    }

    private static void SetRetryAfter(HttpContext context, TimeSpan retryAfter) =>
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
