namespace NotifyPush.Storage.Postgres;

/// <summary>Tuning of the Postgres store's write path; the defaults suit most deployments.</summary>
public sealed record PostgresStoreSettings
{
    /// <summary>
    /// Most rows one group-commit transaction holds. Sends that arrive while earlier ones are being written wait and
    /// are committed together, one transaction and one round trip for many requests. 0 turns group commit off (every
    /// request is its own transaction). Default 2000.
    /// </summary>
    public int GroupCommitMaxRows { get; init; } = 2000;

    /// <summary>
    /// Requests with more recipients than this are written alone: a large fan-out is already one statement and
    /// would only delay the small sends batched with it. Default 100.
    /// </summary>
    public int GroupCommitMaxRequestRows { get; init; } = 100;

    /// <summary>
    /// Group-commit transactions in flight at once, each on its own pooled connection. Under light load a send is
    /// written at once (no added latency); once all are busy, new sends queue and form the next batch. Default 4.
    /// </summary>
    public int GroupCommitConcurrency { get; init; } = 4;
}
