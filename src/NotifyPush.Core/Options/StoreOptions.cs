using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Core.Options;

/// <summary>
/// Which store holds the notifications, and what every store needs. Section <c>NotifyPush:Store</c>; a store's own
/// tuning is its own options class in the same section (Postgres: <c>PostgresStoreOptions</c>).
/// </summary>
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
}
