using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

/// <summary>A <c>notifications</c> row as Dapper reads it: times as UTC ticks, the id as text.</summary>
internal sealed class NotificationRow
{
    public string UserId { get; set; } = "";

    public long Seq { get; set; }

    public string Id { get; set; } = "";

    public string Type { get; set; } = "";

    public string Payload { get; set; } = "";

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }

    public StoredNotification ToNotification() => new(
        UserId,
        Seq,
        Guid.Parse(Id),
        Type,
        Payload,
        new DateTimeOffset(CreatedAt, TimeSpan.Zero),
        new DateTimeOffset(ExpiresAt, TimeSpan.Zero));
}
