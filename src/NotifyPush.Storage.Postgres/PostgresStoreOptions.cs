using System.ComponentModel.DataAnnotations;
using NotifyPush.Core.Options;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// Tuning of the Postgres store's write path (group commit). Section <c>NotifyPush:Store</c>, beside the provider and
/// the connection string; the defaults suit most deployments.
/// </summary>
/// <remarks>
/// The keys sit directly in the store's section (<c>NotifyPush:Store:GroupCommitMaxRows</c>), where the first of them
/// has always been, so existing deployments keep their settings; SQLite ignores them.
/// </remarks>
public sealed class PostgresStoreOptions
{
    public const string SectionName = StoreOptions.SectionName;

    /// <summary>
    /// Most notifications one group-commit transaction holds. Sends that arrive while earlier ones are being written wait
    /// and are committed together, one transaction and one round trip for many requests. 0 turns group commit off
    /// (every request is its own transaction). Default 2000.
    /// </summary>
    [Range(0, 100_000)]
    public int GroupCommitMaxRows { get; set; } = 2000;

    /// <summary>
    /// Recipients above which a request is written alone: a large fan-out is already one statement and would only
    /// delay the small sends batched with it. Default 100.
    /// </summary>
    [Range(1, 100_000)]
    public int GroupCommitMaxRequestRows { get; set; } = 100;

    /// <summary>
    /// Group-commit transactions in flight at once, each on its own pooled connection. Under light load a send is
    /// written at once (no added latency); while one is in flight, new sends queue and form the next batch. One
    /// (the default) gives the largest batches and the least CPU per notification: on a 2-core box it carried 1.4x
    /// the sends of 4 at 0.63x the CPU per notification (docs/benchmarks.md). More can help when commits are slow and
    /// the database has cores to spare. Keep it well below the pool's <c>Maximum Pool Size</c> (Npgsql default 100).
    /// </summary>
    [Range(1, 256)]
    public int GroupCommitConcurrency { get; set; } = 1;
}
