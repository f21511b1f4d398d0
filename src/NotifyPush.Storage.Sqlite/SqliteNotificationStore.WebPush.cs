using Dapper;
using Microsoft.Data.Sqlite;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

public sealed partial class SqliteNotificationStore : IWebPushStore
{
    private const string InsertPushJobSql = """
        INSERT INTO push_jobs (user_id, seq, notification_id, type, title, body, url, created_at, expires_at, due_at)
        VALUES (@user_id, @seq, @notification_id, @type, @title, @body, @url, @created_at, @expires_at, @created_at)
        """;

    // The cap counts the user's other endpoints, so saving one again never trips it. Writes are serialised, so the
    // count and the insert see the same rows.
    private const string SaveSubscriptionSql = """
        INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth, created_at)
        SELECT @Endpoint, @UserId, @P256dh, @Auth, @CreatedAt
        WHERE (SELECT count(*) FROM push_subscriptions WHERE user_id = @UserId AND endpoint <> @Endpoint) < @MaxPerUser
        ON CONFLICT (endpoint) DO UPDATE
        SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at
        """;

    private const string SubscriptionsSql = """
        SELECT user_id AS UserId, endpoint AS Endpoint, p256dh AS P256dh, auth AS Auth, created_at AS CreatedAt
        FROM push_subscriptions
        WHERE user_id = @UserId
        ORDER BY created_at, endpoint
        """;

    private const string DeleteSubscriptionSql = "DELETE FROM push_subscriptions WHERE user_id = @UserId AND endpoint = @Endpoint";

    private const string DeleteSubscriptionsSql = "DELETE FROM push_subscriptions WHERE user_id = @UserId";

    // One writer at a time (the write lock and BEGIN IMMEDIATE) makes the select-then-lease atomic across processes.
    private const string ClaimJobsSql = """
        UPDATE push_jobs
        SET lease_id = @LeaseId, leased_until = @LeasedUntil
        WHERE id IN (
            SELECT id FROM push_jobs
            WHERE due_at <= @Now AND (leased_until IS NULL OR leased_until <= @Now)
            ORDER BY due_at
            LIMIT @Limit)
        RETURNING id AS Id, user_id AS UserId, seq AS Seq, notification_id AS NotificationId, type AS Type,
                  title AS Title, body AS Body, url AS Url, created_at AS CreatedAt, expires_at AS ExpiresAt,
                  presence_checked AS PresenceChecked, attempts AS Attempts
        """;

    private const string CompleteJobSql = "DELETE FROM push_jobs WHERE id = @Id AND lease_id = @LeaseId";

    private const string RescheduleJobSql = """
        UPDATE push_jobs
        SET due_at = @DueAt, presence_checked = @PresenceChecked, attempts = @Attempts, lease_id = NULL, leased_until = NULL
        WHERE id = @Id AND lease_id = @LeaseId
        """;

    private const string CountJobsSql = "SELECT count(*) FROM push_jobs";

    /// <inheritdoc />
    public Task<bool> SavePushSubscriptionAsync(PushSubscriptionRecord subscription, int maxPerUser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var parameters = new
        {
            subscription.Endpoint,
            subscription.UserId,
            subscription.P256dh,
            subscription.Auth,
            CreatedAt = subscription.CreatedAt.UtcTicks,
            MaxPerUser = (long)maxPerUser,
        };
        return RunWrite("save a push subscription", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(SaveSubscriptionSql, parameters, transaction, cancellationToken: ct)) > 0, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PushSubscriptionRecord>> GetPushSubscriptionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunRead("read push subscriptions", (connection, ct) =>
            (IReadOnlyList<PushSubscriptionRecord>)connection.Query<SubscriptionRow>(new CommandDefinition(SubscriptionsSql, new { UserId = userId }, cancellationToken: ct))
                .Select(static row => new PushSubscriptionRecord(row.UserId, row.Endpoint, row.P256dh, row.Auth, new DateTimeOffset(row.CreatedAt, TimeSpan.Zero)))
                .ToList(), cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeletePushSubscriptionAsync(string userId, string endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(endpoint);
        return RunWrite("delete a push subscription", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(DeleteSubscriptionSql, new { UserId = userId, Endpoint = endpoint }, transaction, cancellationToken: ct)) > 0, cancellationToken);
    }

    /// <inheritdoc />
    public Task<int> DeletePushSubscriptionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunWrite("delete a user's push subscriptions", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(DeleteSubscriptionsSql, new { UserId = userId }, transaction, cancellationToken: ct)), cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PushJob>> ClaimPushJobsAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return Task.FromResult<IReadOnlyList<PushJob>>([]);
        }

        var leaseId = Guid.NewGuid();
        var parameters = new { Now = now.UtcTicks, LeasedUntil = (now + lease).UtcTicks, LeaseId = leaseId.ToString("D"), Limit = (long)limit };
        return RunWrite("claim push jobs", (connection, transaction, ct) =>
            (IReadOnlyList<PushJob>)connection.Query<JobRow>(new CommandDefinition(ClaimJobsSql, parameters, transaction, cancellationToken: ct))
                .OrderBy(static row => row.Id)
                .Select(row => row.ToJob(leaseId))
                .ToList(), cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> CompletePushJobAsync(long id, Guid leaseId, CancellationToken cancellationToken) =>
        RunWrite("complete a push job", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(CompleteJobSql, new { Id = id, LeaseId = leaseId.ToString("D") }, transaction, cancellationToken: ct)) > 0, cancellationToken);

    /// <inheritdoc />
    public Task<bool> ReschedulePushJobAsync(long id, Guid leaseId, DateTimeOffset dueAt, bool presenceChecked, int attempts, CancellationToken cancellationToken)
    {
        var parameters = new { Id = id, LeaseId = leaseId.ToString("D"), DueAt = dueAt.UtcTicks, PresenceChecked = presenceChecked ? 1 : 0, Attempts = attempts };
        return RunWrite("reschedule a push job", (connection, transaction, ct) =>
            connection.Execute(new CommandDefinition(RescheduleJobSql, parameters, transaction, cancellationToken: ct)) > 0, cancellationToken);
    }

    /// <inheritdoc />
    public Task<long> CountPushJobsAsync(CancellationToken cancellationToken) =>
        RunRead("count push jobs", (connection, ct) =>
            connection.ExecuteScalar<long>(new CommandDefinition(CountJobsSql, cancellationToken: ct)), cancellationToken);

    /// <summary>The push-job insert of an append, prepared once; the caller sets user, seq and notification id per row.</summary>
    private static SqliteCommand PreparePushJob(SqliteConnection connection, SqliteTransaction transaction, AppendRequest request, WebPushContent push)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertPushJobSql;
        command.Parameters.Add("@user_id", SqliteType.Text);
        command.Parameters.Add("@seq", SqliteType.Integer);
        command.Parameters.Add("@notification_id", SqliteType.Text);
        command.Parameters.Add("@type", SqliteType.Text).Value = request.Type;
        command.Parameters.Add("@title", SqliteType.Text).Value = push.Title;
        command.Parameters.Add("@body", SqliteType.Text).Value = push.Body;
        command.Parameters.Add("@url", SqliteType.Text).Value = push.Url is { } url ? url : DBNull.Value;
        command.Parameters.Add("@created_at", SqliteType.Integer).Value = request.CreatedAt.UtcTicks;
        command.Parameters.Add("@expires_at", SqliteType.Integer).Value = request.ExpiresAt.UtcTicks;
        command.Prepare();
        return command;
    }

    private sealed class SubscriptionRow
    {
        public string UserId { get; set; } = "";
        public string Endpoint { get; set; } = "";
        public string P256dh { get; set; } = "";
        public string Auth { get; set; } = "";
        public long CreatedAt { get; set; }
    }

    private sealed class JobRow
    {
        public long Id { get; set; }
        public string UserId { get; set; } = "";
        public long Seq { get; set; }
        public string NotificationId { get; set; } = "";
        public string Type { get; set; } = "";
        public string Title { get; set; } = "";
        public string Body { get; set; } = "";
        public string? Url { get; set; }
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long PresenceChecked { get; set; }
        public long Attempts { get; set; }

        public PushJob ToJob(Guid leaseId) =>
            new(Id, leaseId, UserId, Seq, Guid.Parse(NotificationId), Type, new WebPushContent(Title, Body, Url),
                new DateTimeOffset(CreatedAt, TimeSpan.Zero), new DateTimeOffset(ExpiresAt, TimeSpan.Zero), PresenceChecked != 0, (int)Attempts);
    }
}
