using Dapper;
using Microsoft.Data.Sqlite;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

/// <summary>
/// Applies the embedded migrations (<c>Migrations/NNNN_description.sql</c>, see <see cref="SchemaMigration"/>) in
/// order, tracking progress in <c>PRAGMA user_version</c> and each step's checksum in <c>schema_migrations</c> (a step
/// applied with other text than this build's is refused: <see cref="SchemaMigration.EditedAfterApplying"/>). Forward-only: a database from a newer build is refused
/// rather than guessed at.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>Every migration of this build, ordered by version (1, 2, 3… without gaps).</summary>
    public static IReadOnlyList<SchemaMigration> All { get; } = SchemaMigration.LoadEmbedded(typeof(SqliteMigrations).Assembly);

    /// <summary>Applies the migrations the database lacks, in one <c>BEGIN IMMEDIATE</c> transaction, and returns them.</summary>
    /// <remarks>
    /// The immediate transaction takes the write lock before reading <c>user_version</c>, so two processes starting
    /// together cannot both apply a step: the second waits, then finds the version already raised.
    /// </remarks>
    public static IReadOnlyList<SchemaMigration> Apply(SqliteConnection connection, string dataSource, CancellationToken cancellationToken)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var current = connection.ExecuteScalar<long>(new CommandDefinition(SqliteSql.UserVersion, transaction: transaction, cancellationToken: cancellationToken));
        var latest = All[^1].Version;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"The database '{dataSource}' has schema version {current}, but this build knows versions up to {latest}. It was written by a newer NotifyPush.");
        }

        connection.Execute(new CommandDefinition(SqliteSql.CreateMigrationsTable, transaction: transaction, cancellationToken: cancellationToken));
        var recorded = connection.Query<(long Version, string Checksum)>(new CommandDefinition(SqliteSql.AppliedMigrations, transaction: transaction, cancellationToken: cancellationToken))
            .ToDictionary(row => row.Version, row => row.Checksum);
        foreach (var migration in All.Where(m => m.Version <= current))
        {
            if (!recorded.TryGetValue(migration.Version, out var checksum))
            {
                // Applied by a build from before checksums were recorded: this build's text is trusted on first sight.
                Record(connection, transaction, migration, cancellationToken);
            }
            else if (!string.Equals(checksum, migration.Checksum, StringComparison.Ordinal))
            {
                throw migration.EditedAfterApplying($"'{dataSource}'", checksum);
            }
        }

        var applied = new List<SchemaMigration>();
        foreach (var migration in All)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            connection.Execute(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));

            // user_version lives in the file header and is part of the transaction: a step and its number commit together.
            connection.Execute(new CommandDefinition(SqliteSql.SetUserVersion(migration.Version), transaction: transaction, cancellationToken: cancellationToken));
            Record(connection, transaction, migration, cancellationToken);
            applied.Add(migration);
        }

        transaction.Commit();
        return applied;
    }

    private static void Record(SqliteConnection connection, SqliteTransaction transaction, SchemaMigration migration, CancellationToken cancellationToken) =>
        connection.Execute(new CommandDefinition(SqliteSql.RecordMigration, new { migration.Version, migration.Name, migration.Checksum }, transaction, cancellationToken: cancellationToken));
}
