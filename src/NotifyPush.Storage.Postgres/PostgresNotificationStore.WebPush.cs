using Dapper;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore : IWebPushStore
{
    // The cap counts the user's other endpoints, so saving one again never trips it. Two saves racing past the count
    // can leave one more than the cap: a bound on storage, not a contract.
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

    // SKIP LOCKED: a row another worker is claiming right now is passed over, not waited for; the lease (lease_id,
    // leased_until) then keeps it from every other worker until it is completed, rescheduled or the lease runs out.
    private const string ClaimJobsSql = """
        WITH due AS (
            SELECT id
            FROM push_jobs
            WHERE due_at <= @Now AND (leased_until IS NULL OR leased_until <= @Now)
            ORDER BY due_at
            LIMIT @Limit
            FOR UPDATE SKIP LOCKED
        )
        UPDATE push_jobs AS j
        SET lease_id = @LeaseId, leased_until = @LeasedUntil
        FROM due
        WHERE j.id = due.id
        RETURNING j.id AS Id, j.user_id AS UserId, j.seq AS Seq, j.notification_id AS NotificationId, j.type AS Type,
                  j.title AS Title, j.body AS Body, j.url AS Url, j.created_at AS CreatedAt, j.expires_at AS ExpiresAt,
                  j.presence_checked AS PresenceChecked, j.attempts AS Attempts
        """;

    private const string CompleteJobSql = "DELETE FROM push_jobs WHERE id = @Id AND lease_id = @LeaseId";

    private const string RescheduleJobSql = """
        UPDATE push_jobs
        SET due_at = @DueAt, presence_checked = @PresenceChecked, attempts = @Attempts, lease_id = NULL, leased_until = NULL
        WHERE id = @Id AND lease_id = @LeaseId
        """;

    private const string CountJobsSql = "SELECT count(*) FROM push_jobs";

    /// <inheritdoc />
    public async Task<bool> SavePushSubscriptionAsync(PushSubscriptionRecord subscription, int maxPerUser, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var parameters = new
        {
            subscription.Endpoint,
            subscription.UserId,
            subscription.P256dh,
            subscription.Auth,
            CreatedAt = subscription.CreatedAt.UtcDateTime,
            MaxPerUser = (long)maxPerUser,
        };

        // Saving the same subscription twice leaves the same row.
        var rows = await RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(SaveSubscriptionSql, parameters, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken);
        return rows > 0;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<PushSubscriptionRecord>> GetPushSubscriptionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<SubscriptionRow>(new CommandDefinition(SubscriptionsSql, new { UserId = userId }, cancellationToken: ct));
                return (IReadOnlyList<PushSubscriptionRecord>)rows
                    .Select(static row => new PushSubscriptionRecord(row.UserId, row.Endpoint, row.P256dh, row.Auth, ToUtcOffset(row.CreatedAt)))
                    .ToList();
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> DeletePushSubscriptionAsync(string userId, string endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(endpoint);
        return await RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(DeleteSubscriptionSql, new { UserId = userId, Endpoint = endpoint }, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken) > 0;
    }

    /// <inheritdoc />
    public Task<int> DeletePushSubscriptionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(DeleteSubscriptionsSql, new { UserId = userId }, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<PushJob>> ClaimPushJobsAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return [];
        }

        var leaseId = Guid.NewGuid();
        var parameters = new { Now = now.UtcDateTime, LeasedUntil = (now + lease).UtcDateTime, LeaseId = leaseId, Limit = (long)limit };

        // Repeating a claim whose answer was lost leaves rows leased to a lease id nobody holds: they are claimed
        // again when it runs out, never by two workers at once.
        return await RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<JobRow>(new CommandDefinition(ClaimJobsSql, parameters, cancellationToken: ct));
                return (IReadOnlyList<PushJob>)rows.OrderBy(static row => row.Id).Select(row => row.ToJob(leaseId)).ToList();
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> CompletePushJobAsync(long id, Guid leaseId, CancellationToken cancellationToken) =>
        await RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(CompleteJobSql, new { Id = id, LeaseId = leaseId }, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken) > 0;

    /// <inheritdoc />
    public async Task<bool> ReschedulePushJobAsync(long id, Guid leaseId, DateTimeOffset dueAt, bool presenceChecked, int attempts, CancellationToken cancellationToken)
    {
        var parameters = new { Id = id, LeaseId = leaseId, DueAt = dueAt.UtcDateTime, PresenceChecked = presenceChecked, Attempts = attempts };
        return await RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(RescheduleJobSql, parameters, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken) > 0;
    }

    /// <inheritdoc />
    public Task<long> CountPushJobsAsync(CancellationToken cancellationToken) =>
        RunAsync(
            (connection, ct) => connection.ExecuteScalarAsync<long>(new CommandDefinition(CountJobsSql, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken);

    private sealed class SubscriptionRow
    {
        public string UserId { get; set; } = "";
        public string Endpoint { get; set; } = "";
        public string P256dh { get; set; } = "";
        public string Auth { get; set; } = "";
        public DateTime CreatedAt { get; set; }
    }

    private sealed class JobRow
    {
        public long Id { get; set; }
        public string UserId { get; set; } = "";
        public long Seq { get; set; }
        public Guid NotificationId { get; set; }
        public string Type { get; set; } = "";
        public string Title { get; set; } = "";
        public string Body { get; set; } = "";
        public string? Url { get; set; }
        public DateTime CreatedAt { get; set; }
        public DateTime ExpiresAt { get; set; }
        public bool PresenceChecked { get; set; }
        public int Attempts { get; set; }

        public PushJob ToJob(Guid leaseId) =>
            new(Id, leaseId, UserId, Seq, NotificationId, Type, new WebPushContent(Title, Body, Url), ToUtcOffset(CreatedAt), ToUtcOffset(ExpiresAt), PresenceChecked, Attempts);
    }
}
