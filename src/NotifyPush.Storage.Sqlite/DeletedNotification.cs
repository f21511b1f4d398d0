namespace NotifyPush.Storage.Sqlite;

/// <summary>Which stream position a retention pass removed; also the parameters that raise <c>pruned_seq</c>.</summary>
/// <remarks>
/// Settable properties, not a positional record: a RETURNING clause that yields no row reports its columns as
/// untyped, which Dapper's constructor matching rejects while its property mapping does not care.
/// </remarks>
internal sealed class DeletedNotification
{
    public string UserId { get; init; } = "";

    public long Seq { get; init; }
}
