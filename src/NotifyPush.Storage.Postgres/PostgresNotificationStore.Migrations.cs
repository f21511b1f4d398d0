using Dapper;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    private const int MigrationLockClass = 0x4E50_0001;

    // Blocking and transaction-scoped: replicas starting together queue here and each finds the work done by the
    // first. The key is the target schema's name, since the schema itself may not exist yet.
    private const string MigrationLockSql = "SELECT pg_advisory_xact_lock(@LockClass, hashtext(coalesce(@Schema, current_schema(), '')))";

    private const string SchemaExistsSql = "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @Schema)";

    private const string MigrationsTableExistsSql = """
        SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations')
        """;

    private const string CreateMigrationsTableSql = """
        CREATE TABLE schema_migrations (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    private const string AppliedVersionsSql = "SELECT version FROM schema_migrations ORDER BY version";

    private const string RecordMigrationSql = "INSERT INTO schema_migrations (version, name) VALUES (@Version, @Name)";

    /// <summary>Applies the pending migrations (see <see cref="MigrateAsync"/>).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => MigrateAsync(cancellationToken);

    /// <summary>
    /// Creates or upgrades the schema: applies every script of <c>db/migrations</c> not yet recorded in
    /// <c>schema_migrations</c>, in order, in one transaction under an advisory lock. Safe to run from several
    /// processes at once and any number of times. Creates the <c>Search Path</c> schema when it is missing.
    /// </summary>
    /// <returns>The names of the migrations this call applied (empty when the schema was up to date).</returns>
    /// <remarks>
    /// The server runs this at start-up and as the operator command <c>dotnet NotifyPush.Server.dll migrate</c>.
    /// Forward-only: a schema newer than this build is left alone (with a warning), so an older replica can run
    /// during a rolling deploy as long as migrations stay additive.
    /// </remarks>
    public Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken) =>
        RunAsync(
            async (connection, ct) =>
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);

                // No command timeout: waiting for another replica's migration, or a long one, is bounded by the caller's token.
                await connection.ExecuteAsync(new CommandDefinition(
                    MigrationLockSql, new { LockClass = MigrationLockClass, Schema = _schema }, transaction, commandTimeout: 0, cancellationToken: ct));
                await EnsureSchemaAsync(connection, transaction, ct);

                var tableExists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(MigrationsTableExistsSql, transaction: transaction, cancellationToken: ct));
                if (!tableExists)
                {
                    await connection.ExecuteAsync(new CommandDefinition(CreateMigrationsTableSql, transaction: transaction, cancellationToken: ct));
                }

                var applied = (await connection.QueryAsync<int>(new CommandDefinition(AppliedVersionsSql, transaction: transaction, cancellationToken: ct))).ToHashSet();
                var schemaName = _schema ?? "default";
                var names = new List<string>();
                foreach (var migration in PostgresMigration.All)
                {
                    if (applied.Contains(migration.Version))
                    {
                        continue;
                    }

                    await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: ct));
                    await connection.ExecuteAsync(new CommandDefinition(
                        RecordMigrationSql, new { migration.Version, migration.Name }, transaction, cancellationToken: ct));
                    names.Add(migration.Name);
                }

                await transaction.CommitAsync(ct);

                var codeVersion = PostgresMigration.All.Count == 0 ? 0 : PostgresMigration.All[^1].Version;
                var schemaVersion = applied.Count == 0 ? codeVersion : Math.Max(applied.Max(), codeVersion);
                foreach (var name in names)
                {
                    LogMigrationApplied(_logger, name, schemaName);
                }

                if (schemaVersion > codeVersion)
                {
                    LogSchemaNewerThanCode(_logger, schemaName, schemaVersion, codeVersion);
                }
                else if (names.Count == 0)
                {
                    LogSchemaUpToDate(_logger, schemaName, schemaVersion);
                }

                return (IReadOnlyList<string>)names;
            },
            cancellationToken);

    private async Task EnsureSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        if (_schema is null)
        {
            return;
        }

        // Checked first rather than CREATE SCHEMA IF NOT EXISTS, which needs the CREATE privilege on the database
        // even when the schema exists: a least-privilege role with a pre-made schema must still start.
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(SchemaExistsSql, new { Schema = _schema }, transaction, cancellationToken: cancellationToken));
        if (!exists)
        {
            var quoted = "\"" + _schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await connection.ExecuteAsync(new CommandDefinition("CREATE SCHEMA " + quoted, transaction: transaction, cancellationToken: cancellationToken));
        }
    }
}
