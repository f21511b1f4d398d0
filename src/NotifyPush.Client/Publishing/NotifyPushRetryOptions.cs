namespace NotifyPush.Client.Publishing;

/// <summary>
/// When and how long the publisher retries a call. It retries 5xx, 408, 429, connection failures and timed-out
/// attempts; other answers (400, 401, 403, 413, 422, …) fail at once. Sends are retried with the same
/// <c>Idempotency-Key</c>, so a retry never stores a second notification.
/// </summary>
public sealed class NotifyPushRetryOptions
{
    /// <summary>Attempts in total, the first included; 1 turns retries off. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// The window of the first retry's delay: retry n waits a random time up to min(<see cref="MaxDelay"/>,
    /// FirstDelay × 2^(n-1)) (full jitter). Default 200 ms.
    /// </summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest jittered delay between attempts. Default 10 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one attempt may take, answer body included, before it counts as failed and is retried. Default 30 s.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most time a call may take over all its attempts and delays. A retry whose delay (or the server's
    /// <c>Retry-After</c>) would end past it is not made: the last failure is thrown instead. Default 60 s.
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether a 429 is retried after its <c>Retry-After</c> (true) or thrown at once. Default true.</summary>
    public bool RetryRateLimited { get; set; } = true;

    /// <summary>One attempt, no retries: every failure is thrown as it happens.</summary>
    public static NotifyPushRetryOptions None => new() { MaxAttempts = 1 };

    internal void Validate()
    {
        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "At least one attempt is needed.");
        }

        if (FirstDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FirstDelay), "Retry delays must not be negative.");
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), "Timeouts must be positive.");
        }
    }
}
