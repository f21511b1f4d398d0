using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    // Dapper materialises these by column alias. timestamptz arrives as a UTC DateTime, which Dapper will not
    // bind to a DateTimeOffset constructor parameter, hence rows rather than the Core records directly.

    private sealed class NotificationRow
    {
        public string UserId { get; set; } = "";
        public long Seq { get; set; }
        public Guid Id { get; set; }
        public string Type { get; set; } = "";
        public string PayloadJson { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime ExpiresAt { get; set; }

        public StoredNotification ToStored() =>
            new(UserId, Seq, Id, Type, PayloadJson, ToUtcOffset(CreatedAt), ToUtcOffset(ExpiresAt));
    }

    private sealed class IdempotencyKeyRow
    {
        public string RequestHash { get; set; } = "";
        public DateTime CreatedAt { get; set; }
        public DateTime ExpiresAt { get; set; }
        public string[] UserIds { get; set; } = [];
        public Guid[] Ids { get; set; } = [];
        public long[] Seqs { get; set; } = [];
    }

    /// <summary>A row an append statement returns (alone, or with its request in a group commit).</summary>
    internal class AppendedRow
    {
        public string UserId { get; set; } = "";
        public long Seq { get; set; }
        public Guid Id { get; set; }
    }

    private sealed class StreamRow
    {
        public long LastSeq { get; set; }
        public long AckedSeq { get; set; }
        public long PrunedSeq { get; set; }
    }

    private sealed class StreamStatesRow
    {
        public string UserId { get; set; } = "";
        public long LastSeq { get; set; }
        public long AckedSeq { get; set; }
        public long PrunedSeq { get; set; }
    }

    private sealed class RevocationRow
    {
        public string UserId { get; set; } = "";
        public DateTime RevokedBefore { get; set; }
    }

    private sealed class StreamHeadRow
    {
        public string UserId { get; set; } = "";
        public long LastSeq { get; set; }
    }

    private static DateTimeOffset ToUtcOffset(DateTime value) =>
        new(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero);
}
