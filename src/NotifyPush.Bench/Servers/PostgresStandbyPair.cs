using System.Diagnostics;
using NotifyPush.Testing;
using Npgsql;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's PostgreSQL: the tests' <see cref="PostgresReplicationPair"/> (a primary with one synchronous
/// streaming standby, each on a free loopback port, run as the <c>postgres</c> user when the bench is root), durable
/// (<c>fsync</c>, <c>synchronous_commit</c> and <c>full_page_writes</c> on) and with 300 connections. The primary can be
/// killed (<c>pg_ctl stop -m immediate</c>) and the standby promoted (<c>pg_ctl promote</c>).
/// </summary>
internal sealed class PostgresStandbyPair(PostgresReplicationPair pair) : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    public int PrimaryPort => pair.PrimaryPort;

    public int StandbyPort => pair.StandbyPort;

    /// <summary>Both servers in one multi-host connection string that follows the primary (docs/store.md, Failover).</summary>
    public string ConnectionString => pair.ConnectionString;

    /// <summary>The postmasters' pids (from <c>postmaster.pid</c>); their children are the backends whose CPU is read.</summary>
    public IReadOnlyCollection<int> PostmasterPids => pair.PostmasterPids;

    public static async Task<PostgresStandbyPair> StartAsync(CancellationToken cancellationToken) =>
        new(await PostgresReplicationPair.StartAsync(durable: true, maxConnections: 300, commandTimeout: CommandTimeout).WaitAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Kills the primary as a crash would (<c>pg_ctl stop -m immediate</c>), waits <paramref name="beforePromotion"/>
    /// (the time an operator or Patroni takes to decide) and promotes the standby; returns when it accepts writes.
    /// </summary>
    public async Task<(string Description, long PromotedTimestamp)> FailOverAsync(TimeSpan beforePromotion, CancellationToken cancellationToken)
    {
        await pair.KillPrimaryAsync().ConfigureAwait(false);
        await Task.Delay(beforePromotion, cancellationToken).ConfigureAwait(false);
        await pair.PromoteStandbyAsync().ConfigureAwait(false);
        return ($"pg_ctl stop -m immediate of primary 127.0.0.1:{PrimaryPort}, standby {StandbyPort} promoted with pg_ctl promote after {beforePromotion.TotalSeconds:F0} s", Stopwatch.GetTimestamp());
    }
    /// <summary>Transactions committed on the server that is the primary now (<c>pg_stat_database.xact_commit</c>, reads included).</summary>
    public async Task<long?> CommitsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=5");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT sum(xact_commit)::bigint FROM pg_stat_database", connection);
            return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    public void KillAll() => pair.KillAll();

    public ValueTask DisposeAsync() => pair.DisposeAsync();
}
