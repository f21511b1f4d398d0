namespace NotifyPush.Storage.Postgres;

public sealed partial class PostgresNotificationStore
{
    /// <summary>Applies the pending migrations (see <see cref="MigrateAsync"/>).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => MigrateAsync(cancellationToken);

    /// <summary>
    /// Creates or upgrades the schema: applies every embedded migration (<c>Migrations/NNNN_*.sql</c>) not yet recorded
    /// in <c>schema_migrations</c>, in order, in one transaction under an advisory lock. Safe to run from several
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
                var (applied, schemaVersion) = await PostgresMigrations.ApplyAsync(connection, _schema, ct);
                var schemaName = _schema ?? "default";
                foreach (var name in applied)
                {
                    LogMigrationApplied(_logger, name, schemaName);
                }

                var codeVersion = PostgresMigrations.All[^1].Version;
                if (schemaVersion > codeVersion)
                {
                    LogSchemaNewerThanCode(_logger, schemaName, schemaVersion, codeVersion);
                }
                else if (applied.Count == 0)
                {
                    LogSchemaUpToDate(_logger, schemaName, schemaVersion);
                }

                return applied;
            },
            OnLostConnection.RetryOnce, // one transaction, recorded in schema_migrations: a repeat applies only what is missing
            cancellationToken);
}
