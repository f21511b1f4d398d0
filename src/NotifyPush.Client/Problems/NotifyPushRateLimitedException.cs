namespace NotifyPush.Client.Problems;

/// <summary>429: the caller's rate limit is used up, and the retries (if any) ran out of attempts or time.</summary>
public sealed class NotifyPushRateLimitedException : NotifyPushException
{
    internal NotifyPushRateLimitedException(string message, ProblemResponse problem)
        : base(message, problem)
    {
        RetryAfter = problem.RetryAfter;
    }

    /// <summary>The server's <c>Retry-After</c>: how long to wait before the next request.</summary>
    public TimeSpan? RetryAfter { get; }
}
