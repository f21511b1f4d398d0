namespace NotifyPush.Client.Problems;

/// <summary>
/// The server could not take the request now and the retries ran out of attempts or time: 503 (store or backplane
/// unavailable), another 5xx, 408, or no answer at all (<see cref="NotifyPushException.StatusCode"/> null: a
/// connection failure or a timeout, the cause in <see cref="Exception.InnerException"/>). Nothing is known to be
/// stored; a later retry of a send with the same <see cref="NotifyPushException.IdempotencyKey"/> stores it at most once.
/// </summary>
public sealed class NotifyPushUnavailableException : NotifyPushException
{
    internal NotifyPushUnavailableException(string message, ProblemResponse problem, Exception? innerException = null)
        : base(message, problem, innerException)
    {
        RetryAfter = problem.RetryAfter;
    }

    /// <summary>The server's <c>Retry-After</c>, when it sent one (503 does).</summary>
    public TimeSpan? RetryAfter { get; }
}
