namespace NotifyPush.Client.Problems;

/// <summary>
/// A NotifyPush call failed. Carries what the server's <c>application/problem+json</c> answer said (status, title,
/// detail, field errors, trace id); subclasses mark the cases a caller handles differently. Never carries a
/// credential.
/// </summary>
public class NotifyPushException : Exception
{
    /// <summary>Creates an exception that no server answer describes.</summary>
    public NotifyPushException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates an exception that no server answer describes, caused by <paramref name="innerException"/>.</summary>
    public NotifyPushException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Errors = ProblemResponse.NoErrors;
    }

    internal NotifyPushException(string message, ProblemResponse problem, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = problem.StatusCode;
        ProblemType = problem.Type;
        Title = problem.Title;
        Detail = problem.Detail;
        Errors = problem.Errors;
        TraceId = problem.TraceId;
    }

    /// <summary>The HTTP status of the answer; null when no answer came (connection failure, timeout).</summary>
    public int? StatusCode { get; }

    /// <summary>The problem's <c>type</c> URI, if any.</summary>
    public string? ProblemType { get; }

    /// <summary>The problem's <c>title</c> (e.g. <c>Invalid request body</c>), or the status's reason phrase for a body that is not a problem.</summary>
    public string? Title { get; }

    /// <summary>The problem's <c>detail</c>, or the start of a body that is not a problem, or what went wrong when no answer came.</summary>
    public string? Detail { get; }

    /// <summary>Field errors of a validation problem, keyed by field (<c>userIds[3]</c>, <c>type</c>, <c>$</c>); empty otherwise.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The server's <c>traceId</c>, to find the request in its logs.</summary>
    public string? TraceId { get; }

    /// <summary>The <c>Idempotency-Key</c> of the failed send (null for other calls): retry later with it to store at most one notification.</summary>
    public string? IdempotencyKey { get; internal set; }

    /// <summary>How many attempts were made before the call gave up (0 for exceptions not raised by a call).</summary>
    public int Attempts { get; internal set; }
}
