using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NotifyPush.Client.Problems;

/// <summary>Turns an error answer of the service API into the matching <see cref="NotifyPushException"/>.</summary>
internal static class ProblemReader
{
    // Enough for any problem the server writes (a validation problem of a 10,000-id fan-out stays far below);
    // a proxy's HTML error page is cut here, and only its start goes into the message.
    private const int MaxBodyChars = 64 * 1024;
    private const int MaxDetailChars = 300;

    /// <summary>Reads the answer's problem (or whatever body it has) and its <c>Retry-After</c>.</summary>
    public static async Task<ProblemResponse> ReadAsync(HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = RetryAfter(response.Headers.RetryAfter, time);
        string body;
        try
        {
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // The status is what matters; a body cut short by the network still leaves a useful exception.
            body = string.Empty;
        }

        if (body.Length > MaxBodyChars)
        {
            body = body[..MaxBodyChars];
        }

        if (TryParseProblem(body, status, retryAfter) is { } problem)
        {
            return problem;
        }

        var text = body.Trim();
        var detail = text.Length == 0 ? null : text.Length > MaxDetailChars ? text[..MaxDetailChars] + "…" : text;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (detail is not null && mediaType is not null)
        {
            detail = $"({mediaType}) {detail}";
        }

        return new ProblemResponse(status, null, response.ReasonPhrase, detail, ProblemResponse.NoErrors, null, retryAfter);
    }

    /// <summary>The exception for a problem answer to <paramref name="operation"/> (e.g. <c>POST api/notifications</c>).</summary>
    public static NotifyPushException ToException(ProblemResponse problem, string operation, int attempts)
    {
        var message = Describe(problem, operation, attempts);
        NotifyPushException exception = problem.StatusCode switch
        {
            400 => new NotifyPushValidationException(message, problem),
            401 or 403 => new NotifyPushAuthenticationException(message, problem),
            413 => new NotifyPushPayloadTooLargeException(message, problem),
            422 => new NotifyPushIdempotencyConflictException(message, problem),
            429 => new NotifyPushRateLimitedException(message, problem),
            408 or >= 500 => new NotifyPushUnavailableException(message, problem),
            _ => new NotifyPushException(message, problem),
        };
        exception.Attempts = attempts;
        return exception;
    }

    /// <summary>The exception when the last attempt got no answer (connection failure, timeout).</summary>
    public static NotifyPushException NoResponse(string operation, int attempts, Exception cause)
    {
        var problem = ProblemResponse.NoResponse(cause.Message);
        return new NotifyPushUnavailableException(Describe(problem, operation, attempts), problem, cause) { Attempts = attempts };
    }

    private static string Describe(ProblemResponse problem, string operation, int attempts)
    {
        var text = new StringBuilder(operation);
        text.Append(problem.StatusCode is { } status ? $" answered {status}" : " got no answer");
        if (problem.Title is { Length: > 0 } title)
        {
            text.Append(' ').Append(title);
        }

        if (problem.Detail is { Length: > 0 } detail)
        {
            text.Append(": ").Append(detail);
        }

        foreach (var (field, messages) in problem.Errors.Take(5))
        {
            text.Append(" [").Append(field).Append(": ").AppendJoin(' ', messages).Append(']');
        }

        if (problem.Errors.Count > 5)
        {
            text.Append(" [and ").Append(problem.Errors.Count - 5).Append(" more fields]");
        }

        if (problem.RetryAfter is { } retryAfter)
        {
            text.Append($" (Retry-After {retryAfter.TotalSeconds:0.###} s)");
        }

        if (attempts > 1)
        {
            text.Append($" after {attempts} attempts");
        }

        if (problem.TraceId is { Length: > 0 } traceId)
        {
            text.Append(" (traceId ").Append(traceId).Append(')');
        }

        return text.ToString();
    }

    private static ProblemResponse? TryParseProblem(string body, int status, TimeSpan? retryAfter)
    {
        if (body.Length == 0 || body.TrimStart() is not ['{', ..])
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            if (root.TryGetProperty("errors", out var errorsElement) && errorsElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in errorsElement.EnumerateObject())
                {
                    errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                        ? field.Value.EnumerateArray().Select(m => m.ValueKind == JsonValueKind.String ? m.GetString()! : m.GetRawText()).ToArray()
                        : [field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText()];
                }
            }

            return new ProblemResponse(
                status,
                String(root, "type"),
                String(root, "title"),
                String(root, "detail"),
                errors,
                String(root, "traceId"),
                retryAfter);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
