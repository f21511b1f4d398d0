using Dapper;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>The numbered migrations of the store project's Migrations folder, applied by the store under an advisory lock.</summary>
public sealed class PostgresMigrationTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _schema.DisposeAsync();

    [Fact]
    public async Task Migrate_WhenRunTwice_AppliesEachMigrationOnceAndTheSecondRunDoesNothing()
    {
        await using var store = _schema.CreateStore();

        var first = await store.MigrateAsync(TestTimeouts.Token());
        var second = await store.MigrateAsync(TestTimeouts.Token());

        Assert.Equal(EmbeddedMigrationNames(), first);
        Assert.Empty(second);
        await AssertOneSchemaAsync();
    }

    [Fact]
    public async Task Migrate_RecordsEachMigrationsChecksum()
    {
        await using var store = _schema.CreateStore();
        await store.MigrateAsync(TestTimeouts.Token());

        var checksums = await _schema.ScalarAsync<string[]>("SELECT array_agg(checksum ORDER BY version) FROM schema_migrations");

        Assert.Equal(PostgresMigrations.All.Select(m => m.Checksum), checksums);
    }

    [Fact]
    public async Task Migrate_WhenAnAppliedMigrationWasEdited_IsRefusedNamingIt()
    {
        await using var store = _schema.CreateStore();
        await store.MigrateAsync(TestTimeouts.Token());
        await _schema.ScalarAsync<int>("WITH u AS (UPDATE schema_migrations SET checksum = 'applied-with-other-text' WHERE version = 2 RETURNING 1) SELECT count(*)::int FROM u");

        await using var next = _schema.CreateStore();
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => next.MigrateAsync(TestTimeouts.Token()));

        Assert.Contains(PostgresMigrations.All[1].Name, refusal.Message, StringComparison.Ordinal);
        Assert.Contains("applied-with-other-text", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_OnASchemaFromBeforeChecksums_RecordsThemAndAppliesNothing()
    {
        await using var store = _schema.CreateStore();
        await store.MigrateAsync(TestTimeouts.Token());
        await _schema.ScalarAsync<int>("ALTER TABLE schema_migrations DROP COLUMN checksum; SELECT 1");

        await using var next = _schema.CreateStore();
        var applied = await next.MigrateAsync(TestTimeouts.Token());

        Assert.Empty(applied);
        Assert.Equal(PostgresMigrations.All.Select(m => m.Checksum), await _schema.ScalarAsync<string[]>("SELECT array_agg(checksum ORDER BY version) FROM schema_migrations"));
    }

    [Fact]
    public async Task Initialize_WhenFourReplicasStartTogetherOnAMissingSchema_OneAppliesAndNoneFails()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => _schema.CreateStore()).ToList();
        try
        {
            var applied = await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(TestTimeouts.Token())))).Bounded();

            Assert.Single(applied, names => names.Count > 0);
            Assert.Equal(EmbeddedMigrationNames(), applied.Single(names => names.Count > 0));
            await AssertOneSchemaAsync();
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Migrate_WhenSearchPathNamesASchema_CreatesTheTablesThereAndNotInPublic()
    {
        await using var store = _schema.CreateStore();

        await store.MigrateAsync(TestTimeouts.Token());

        Assert.Equal(3L, await _schema.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_tables WHERE schemaname = '{_schema.Name}' AND tablename IN ('user_streams', 'notifications', 'schema_migrations')"));
        await store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token());
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM \"{_schema.Name}\".notifications"));
    }

    [Fact]
    public void EmbeddedMigrations_AreTheNumberedFilesOfTheMigrationsFolder_InOrder()
    {
        var directory = FindRepositoryDirectory("db/postgres");
        var files = Directory.GetFiles(directory, "*.sql").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(files, EmbeddedMigrationNames());
        Assert.Equal(Enumerable.Range(1, files.Count), PostgresMigrations.All.Select(m => m.Version));
    }

    [Fact]
    public async Task Migrate_CreatesTheRetentionIndexOnCreatedAt()
    {
        await using var store = _schema.CreateStore();

        await store.MigrateAsync(TestTimeouts.Token());

        Assert.Equal(1L, await _schema.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{_schema.Name}' AND indexname = 'notifications_created_at'"));
    }

    [Fact]
    public async Task Migrate_FromVersion1_KeepsTheIdempotencyKeysItStored()
    {
        // A schema as version 1 left it: the key lived on the notification rows of a fan-out to u2 and u1.
        var (first, second) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var connection = new NpgsqlConnection(_schema.ServerConnectionString))
        {
            await connection.OpenAsync(TestTimeouts.Token());
            await connection.ExecuteAsync($"CREATE SCHEMA \"{_schema.Name}\"; SET search_path TO \"{_schema.Name}\";");
            await connection.ExecuteAsync(PostgresMigrations.All[0].Sql);
            await connection.ExecuteAsync("""
                CREATE TABLE schema_migrations (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
                INSERT INTO schema_migrations (version, name) VALUES (1, '0001_initial');
                INSERT INTO user_streams (user_id, last_seq) VALUES ('u1', 1), ('u2', 1);
                """);
            await connection.ExecuteAsync(
                """
                INSERT INTO notifications (user_id, seq, id, type, payload, created_at, expires_at, caller, idempotency_key, request_hash)
                VALUES ('u2', 1, @First, 'order.shipped', '{"n":1}', @CreatedAt, @ExpiresAt, 'billing', 'k1', 'hash-1'),
                       ('u1', 1, @Second, 'order.shipped', '{"n":1}', @CreatedAt, @ExpiresAt, 'billing', 'k1', 'hash-1')
                """,
                new { First = first, Second = second, CreatedAt = StoreRequests.Now, ExpiresAt = StoreRequests.Now.AddDays(7) });
        }

        await using var store = _schema.CreateStore();
        Assert.Equal(PostgresMigrations.All.Skip(1).Select(m => m.Name), await store.MigrateAsync(TestTimeouts.Token()));
        var retry = await store.AppendAsync(StoreRequests.Append(["u2", "u1"], idempotencyKey: "k1"), TestTimeouts.Token());

        Assert.True(retry.IsReplay);
        Assert.Equal([("u2", first, 1L), ("u1", second, 1L)], retry.Notifications.Select(n => (n.UserId, n.Id, n.Seq)));
        Assert.Equal(2, Assert.Single((await store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token())).Notifications).Seq);
    }

    private static List<string> EmbeddedMigrationNames() => PostgresMigrations.All.Select(m => m.Name).ToList();

    private async Task AssertOneSchemaAsync()
    {
        Assert.Equal((long)PostgresMigrations.All.Count, await _schema.ScalarAsync<long>("SELECT count(*) FROM schema_migrations"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>($"SELECT count(*) FROM pg_namespace WHERE nspname = '{_schema.Name}'"));
        Assert.Equal(1L, await _schema.ScalarAsync<long>(
            $"SELECT count(*) FROM pg_tables WHERE schemaname = '{_schema.Name}' AND tablename = 'notifications'"));
    }

    private static string FindRepositoryDirectory(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"{relative} not found above {AppContext.BaseDirectory}.");
    }
}
