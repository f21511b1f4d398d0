using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>Which store holds the notifications. Section <c>NotifyPush:Store</c>.</summary>
public sealed class StoreOptions
{
    public const string SectionName = "NotifyPush:Store";

    /// <summary><c>Sqlite</c> (embedded, default) or <c>Postgres</c>.</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>
    /// Connection string for the provider. Sqlite default: <c>Data Source=data/notifypush.db</c> (relative to the
    /// working directory). Postgres: required, e.g. <c>Host=127.0.0.1;Username=notifypush;Database=notifypush</c>.
    /// </summary>
    [MaxLength(4096)]
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Apply pending schema migrations when the server starts (under a lock, so replicas starting together do not
    /// race). Set false where schema changes are applied separately with the <c>migrate</c> command. Default true.
    /// </summary>
    public bool ApplyMigrationsAtStartup { get; set; } = true;

    /// <summary>Seconds start-up keeps retrying an unreachable store before it fails. Default 60.</summary>
    [Range(0, 3600)]
    public int StartupTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Postgres: most notifications one group-commit transaction holds. Small sends that arrive while earlier ones
    /// are being written are committed together in one transaction; 0 writes every send in its own. Default 2000.
    /// </summary>
    [Range(0, 100_000)]
    public int GroupCommitMaxRows { get; set; } = 2000;
}
