namespace NotifyPush.Client.Problems;

/// <summary>What an error answer said: the fields of an RFC 7807 problem, or what could be read from another body.</summary>
internal sealed record ProblemResponse(
    int? StatusCode,
    string? Type,
    string? Title,
    string? Detail,
    IReadOnlyDictionary<string, string[]> Errors,
    string? TraceId,
    TimeSpan? RetryAfter)
{
    public static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>(StringComparer.Ordinal);

    /// <summary>No answer at all: the connection failed or the attempt timed out.</summary>
    public static ProblemResponse NoResponse(string detail) => new(null, null, null, detail, NoErrors, null, null);
}
