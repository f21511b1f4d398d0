using Dapper;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// Applies the embedded migrations (<c>Migrations/NNNN_description.sql</c>, see <see cref="SchemaMigration"/>) in
/// order, tracking progress in the <c>schema_migrations</c> table with each step's checksum (a step applied with
/// other text than this build's is refused: <see cref="SchemaMigration.EditedAfterApplying"/>). Forward-only: a schema newer than this build is
/// left alone, so an older replica keeps running during a rolling deploy while migrations stay additive.
/// </summary>
internal static class PostgresMigrations
{
    private const int LockClass = 0x4E50_0001;

    /// <summary>Every migration of this build, ordered by version (1, 2, 3… without gaps).</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } = SchemaMigration.LoadEmbedded(typeof(PostgresMigrations).Assembly);

    /// <summary>
    /// Applies the migrations the schema lacks, in one transaction under an advisory lock, creating the schema when it
    /// is missing. Returns the names applied and the schema's version afterwards (higher than this build's when a newer
    /// build migrated it).
    /// </summary>
    /// <remarks>
    /// The lock blocks, so replicas starting together queue and each finds the work done by the first. Its key is the
    /// target schema's name, since the schema itself may not exist yet.
    /// </remarks>
    public static async Task<(IReadOnlyList<string> Applied, int SchemaVersion)> ApplyAsync(NpgsqlConnection connection, string? schema, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // No command timeout: waiting for another replica's migration, or a long one, is bounded by the caller's token.
        await connection.ExecuteAsync(new CommandDefinition(
            PostgresSql.MigrationLock, new { LockClass, Schema = schema }, transaction, commandTimeout: 0, cancellationToken: cancellationToken));
        await EnsureSchemaAsync(connection, transaction, schema, cancellationToken);

        var tableExists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(PostgresSql.MigrationsTableExists, transaction: transaction, cancellationToken: cancellationToken));
        if (!tableExists)
        {
            await connection.ExecuteAsync(new CommandDefinition(PostgresSql.CreateMigrationsTable, transaction: transaction, cancellationToken: cancellationToken));
        }
        else if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(PostgresSql.MigrationChecksumExists, transaction: transaction, cancellationToken: cancellationToken)))
        {
            await connection.ExecuteAsync(new CommandDefinition(PostgresSql.AddMigrationChecksum, transaction: transaction, cancellationToken: cancellationToken));
        }

        var recorded = (await connection.QueryAsync<(int Version, string? Checksum)>(new CommandDefinition(PostgresSql.AppliedMigrations, transaction: transaction, cancellationToken: cancellationToken)))
            .ToDictionary(row => row.Version, row => row.Checksum);
        var applied = recorded.Keys.ToHashSet();
        var database = schema is null ? "this database" : $"schema '{schema}'";
        foreach (var migration in All)
        {
            if (!recorded.TryGetValue(migration.Version, out var checksum))
            {
                continue;
            }

            if (checksum is null)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    PostgresSql.RecordChecksum, new { migration.Version, migration.Checksum }, transaction, cancellationToken: cancellationToken));
            }
            else if (!string.Equals(checksum, migration.Checksum, StringComparison.Ordinal))
            {
                throw migration.EditedAfterApplying(database, checksum);
            }
        }

        var names = new List<string>();
        foreach (var migration in All)
        {
            if (applied.Contains(migration.Version))
            {
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                PostgresSql.RecordMigration, new { migration.Version, migration.Name, migration.Checksum }, transaction, cancellationToken: cancellationToken));
            names.Add(migration.Name);
        }

        await transaction.CommitAsync(cancellationToken);
        var codeVersion = All[^1].Version;
        return (names, applied.Count == 0 ? codeVersion : Math.Max(applied.Max(), codeVersion));
    }

    private static async Task EnsureSchemaAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string? schema, CancellationToken cancellationToken)
    {
        if (schema is null)
        {
            return;
        }

        // Checked first rather than CREATE SCHEMA IF NOT EXISTS, which needs the CREATE privilege on the database
        // even when the schema exists: a least-privilege role with a pre-made schema must still start.
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(PostgresSql.SchemaExists, new { Schema = schema }, transaction, cancellationToken: cancellationToken));
        if (!exists)
        {
            var quoted = "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            await connection.ExecuteAsync(new CommandDefinition("CREATE SCHEMA " + quoted, transaction: transaction, cancellationToken: cancellationToken));
        }
    }
}
