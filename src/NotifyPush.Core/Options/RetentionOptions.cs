using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>How long the store keeps notifications and idempotency keys. Section <c>NotifyPush:Retention</c>.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "NotifyPush:Retention";

    /// <summary>Hours a delivered (acknowledged) notification stays in the history. Default 168 (7 days).</summary>
    [Range(0, 24 * 3650)]
    public double DeliveredHistoryHours { get; set; } = 168;

    /// <summary>Seconds between cleanup passes. Default 300.</summary>
    [Range(1, 86_400)]
    public int CleanupIntervalSeconds { get; set; } = 300;

    /// <summary>Rows deleted per cleanup statement; a pass repeats until fewer are due. Default 5000.</summary>
    [Range(1, 1_000_000)]
    public int CleanupBatchSize { get; set; } = 5000;

    /// <summary>
    /// Hours an <c>Idempotency-Key</c> is remembered, counted from the original request: a retry with the same key and
    /// body within this window gets the original result, even after its notifications were delivered, expired or
    /// cleaned up. Must be above 0. Default 24.
    /// </summary>
    [Range(0d, 24d * 3650, MinimumIsExclusive = true)]
    public double IdempotencyWindowHours { get; set; } = 24;
}
