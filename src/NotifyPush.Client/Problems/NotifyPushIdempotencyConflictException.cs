namespace NotifyPush.Client.Problems;

/// <summary>422: the Idempotency-Key was already used with a different request. Use a new key for a new notification.</summary>
public sealed class NotifyPushIdempotencyConflictException : NotifyPushException
{
    internal NotifyPushIdempotencyConflictException(string message, ProblemResponse problem)
        : base(message, problem)
    {
    }
}
