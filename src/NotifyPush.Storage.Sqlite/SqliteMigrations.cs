using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace NotifyPush.Storage.Sqlite;

/// <summary>
/// Applies the embedded, numbered migrations in order, tracking progress in <c>PRAGMA user_version</c>.
/// Forward-only: a database from a newer build is refused rather than guessed at.
/// </summary>
internal static class SqliteMigrations
{
    private const string ResourcePrefix = "Migrations/";

    /// <summary>Every migration of this build, ordered by version (1, 2, 3… without gaps).</summary>
    public static IReadOnlyList<SqliteMigration> All { get; } = Load();

    /// <summary>Applies the migrations the database lacks, in one <c>BEGIN IMMEDIATE</c> transaction, and returns them.</summary>
    /// <remarks>
    /// The immediate transaction takes the write lock before reading <c>user_version</c>, so two processes starting
    /// together cannot both apply a step: the second waits, then finds the version already raised.
    /// </remarks>
    public static IReadOnlyList<SqliteMigration> Apply(SqliteConnection connection, string dataSource, CancellationToken cancellationToken)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var current = connection.ExecuteScalar<long>(new CommandDefinition("PRAGMA user_version", transaction: transaction, cancellationToken: cancellationToken));
        var latest = All[^1].Version;
        if (current > latest)
        {
            throw new InvalidOperationException(
                $"The database '{dataSource}' has schema version {current}, but this build knows versions up to {latest}. It was written by a newer NotifyPush.");
        }

        var applied = new List<SqliteMigration>();
        foreach (var migration in All)
        {
            if (migration.Version <= current)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            connection.Execute(new CommandDefinition(migration.Sql, transaction: transaction, cancellationToken: cancellationToken));

            // user_version lives in the file header and is part of the transaction: a step and its number commit together.
            connection.Execute(new CommandDefinition(
                string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {migration.Version}"),
                transaction: transaction,
                cancellationToken: cancellationToken));
            applied.Add(migration);
        }

        transaction.Commit();
        return applied;
    }

    private static List<SqliteMigration> Load()
    {
        var assembly = typeof(SqliteMigrations).Assembly;
        var migrations = new List<SqliteMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..];
            var separator = name.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(name.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration '{name}' must be named NNNN_description.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"Migration resource '{resource}' cannot be read.");
            using var reader = new StreamReader(stream);
            migrations.Add(new SqliteMigration(version, name, reader.ReadToEnd()));
        }

        migrations.Sort((left, right) => left.Version.CompareTo(right.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations must be numbered 1, 2, 3… without gaps or repeats; found '{migrations[i].Name}' at position {i + 1}.");
            }
        }

        return migrations.Count > 0 ? migrations : throw new InvalidOperationException("No embedded migrations were found.");
    }
}
