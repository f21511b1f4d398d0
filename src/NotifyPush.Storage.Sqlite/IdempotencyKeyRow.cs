namespace NotifyPush.Storage.Sqlite;

/// <summary>An <c>idempotency_keys</c> row as Dapper reads it: times as UTC ticks, the result as JSON text.</summary>
internal sealed class IdempotencyKeyRow
{
    public string RequestHash { get; set; } = "";

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }

    /// <summary>The remembered result (<see cref="IdempotencyResult"/>).</summary>
    public string Notifications { get; set; } = "";
}
