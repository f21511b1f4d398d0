namespace NotifyPush.Server.WebPush;

/// <summary>One push's outcome, with the push service's status and the wait it asked for.</summary>
/// <param name="Outcome">What to do next.</param>
/// <param name="StatusCode">The push service's HTTP status; 0 when it did not answer.</param>
/// <param name="RetryAfter">The push service's Retry-After, when it sent one.</param>
public readonly record struct PushResult(PushOutcome Outcome, int StatusCode, TimeSpan? RetryAfter);
