using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// Retention finds its rows through indexes, not by reading the table: the plan of the cleanup statement over a table
/// of 200,000 notifications, of which a few hundred are due, as between two passes of a running deployment.
/// </summary>
/// <remarks>
/// The planner is left free (no <c>enable_seqscan = off</c>): with statistics of a table this size it prefers the
/// indexes on its own, which is the point. docs/store.md shows the same plans, executed, on three million rows.
/// </remarks>
public sealed class PostgresCleanupPlanTests : IAsyncLifetime
{
    private const int Users = 20_000;
    private const int SeqsPerUser = 10;

    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private PostgresNotificationStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await _schema.CreateInitializedStoreAsync();

        // Created evenly over the last 7 days and 5 minutes, oldest first: the oldest ~0.05% are past the history window
        // (168 h). Even rows live 7 days (those of them are expired), odd ones 30 days. Every user acknowledged all but
        // its last notification.
        await ExecuteAsync($"""
            INSERT INTO user_streams (user_id, last_seq, acked_seq, pruned_seq)
            SELECT 'u' || u, {SeqsPerUser}, {SeqsPerUser - 1}, 0 FROM generate_series(0, {Users - 1}) AS u;
            INSERT INTO notifications (user_id, seq, id, type, payload, created_at, expires_at)
            SELECT 'u' || (g % {Users}), g / {Users} + 1, gen_random_uuid(), 't', '{"{}"}'::json, c, c + CASE WHEN g % 2 = 0 THEN interval '7 days' ELSE interval '30 days' END
            FROM generate_series(0, {Users * SeqsPerUser - 1}) AS g,
                 LATERAL (SELECT @Now - interval '7 days 5 minutes' * (1 - g::float8 / {Users * SeqsPerUser})) AS t(c);
            ANALYZE notifications;
            ANALYZE user_streams;
            """);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Cleanup_OnALargeTable_ReadsBothKindsOfDueRowsThroughTheirIndexesAndNeverScansTheTable()
    {
        var plan = await ExplainCleanupAsync();

        Assert.Contains("notifications_expires_at", plan);
        Assert.Contains("notifications_created_at", plan);
        Assert.Matches("Index (Only )?Scan using notifications_expires_at", plan);
        Assert.Matches("Index (Only )?Scan using notifications_created_at", plan);
        Assert.DoesNotContain("Seq Scan on notifications", plan);
    }

    [Fact]
    public async Task Cleanup_OnALargeTable_DeletesExactlyTheDueRows()
    {
        var due = await ScalarAsync<long>("""
            SELECT count(*) FROM notifications AS n JOIN user_streams AS s ON s.user_id = n.user_id
            WHERE n.expires_at <= @Now OR (n.seq <= s.acked_seq AND n.created_at <= @AckedBefore)
            """);

        var deleted = 0L;
        for (var pass = 0; pass < 100; pass++)
        {
            var result = await _store.CleanupAsync(StoreRequests.Now, TimeSpan.FromHours(168), 100, TestTimeouts.Token()).Bounded();
            deleted += result.Deleted;
            if (!result.HasMore)
            {
                break;
            }
        }

        Assert.InRange(due, 1, 5_000);
        Assert.Equal(due, deleted);
        Assert.Equal(0, await ScalarAsync<long>("""
            SELECT count(*) FROM notifications AS n JOIN user_streams AS s ON s.user_id = n.user_id
            WHERE n.expires_at <= @Now OR (n.seq <= s.acked_seq AND n.created_at <= @AckedBefore)
            """));
    }

    private async Task<string> ExplainCleanupAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = Command("EXPLAIN " + PostgresSql.Cleanup, connection);
        command.Parameters.AddWithValue("BatchSize", 5000);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestTimeouts.Token());
        while (await reader.ReadAsync(TestTimeouts.Token()))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(sql, connection);
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync(TestTimeouts.Token());
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestTimeouts.Token()))!;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_schema.ConnectionString);
        await connection.OpenAsync(TestTimeouts.Token());
        return connection;
    }

    // The statement's own parameters: now, the history window's edge (168 h before now).
    private static NpgsqlCommand Command(string sql, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("Now", StoreRequests.Now);
        command.Parameters.AddWithValue("AckedBefore", StoreRequests.Now - TimeSpan.FromHours(168));
        return command;
    }
}
