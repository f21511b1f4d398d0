namespace NotifyPush.Backplane.Redis;

/// <summary>The shared limiter's answer for one request.</summary>
/// <param name="Allowed">True when the request is within its caller's budget.</param>
/// <param name="RetryAfter">When refused, how long until a request would be allowed.</param>
public readonly record struct SharedRateLimitDecision(bool Allowed, TimeSpan RetryAfter);
