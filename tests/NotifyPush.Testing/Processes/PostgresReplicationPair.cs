using System.Globalization;
using Npgsql;

namespace NotifyPush.Testing;

/// <summary>
/// A private PostgreSQL primary with one synchronous streaming standby (<c>pg_basebackup -R</c>), each on its own free
/// port, for a failover: the primary can be killed (<c>pg_ctl stop -m immediate</c>) and the standby promoted
/// (<c>pg_ctl promote</c>). Both servers are stopped and their folders deleted on dispose. The failover test and the
/// bench's scale scenario both run it.
/// </summary>
/// <remarks>
/// Each server is a <see cref="PostgresServerProcess"/>. <c>synchronous_standby_names = '*'</c> on the primary makes
/// every commit wait until the standby has it, so what was acknowledged survives the primary's loss; the standby has
/// none, so once promoted (alone) it commits without waiting for a standby of its own.
/// </remarks>
public sealed class PostgresReplicationPair : IAsyncDisposable
{
    private readonly string _directory;
    private PostgresServerProcess? _primary;
    private PostgresServerProcess? _standby;

    private PostgresReplicationPair(string directory, int primaryPort, int standbyPort)
    {
        _directory = directory;
        PrimaryPort = primaryPort;
        StandbyPort = standbyPort;
    }

    /// <summary>The primary's port (127.0.0.1).</summary>
    public int PrimaryPort { get; }

    /// <summary>The standby's port (127.0.0.1).</summary>
    public int StandbyPort { get; }

    /// <summary>Both servers in one multi-host connection string that follows the primary (docs/store.md, Failover).</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Target Session Attributes=primary;Username=postgres;Database=postgres";

    /// <summary>The standby alone (after its promotion: the new primary).</summary>
    public string StandbyConnectionString => $"Host=127.0.0.1;Port={StandbyPort};Username=postgres;Database=postgres";

    /// <summary>The postmasters' pids; their children are the backends.</summary>
    public IReadOnlyCollection<int> PostmasterPids => [.. new[] { _primary, _standby }.Select(server => server?.PostmasterPid).OfType<int>()];

    /// <summary>Creates the primary, clones the standby from it, starts both and returns once the standby is synchronous.</summary>
    /// <param name="durable">fsync, synchronous_commit and full_page_writes on, as in production (the bench); off for tests.</param>
    /// <param name="maxConnections">The primary's <c>max_connections</c>.</param>
    /// <param name="commandTimeout">How long one initdb, pg_basebackup or pg_ctl may take.</param>
    public static async Task<PostgresReplicationPair> StartAsync(bool durable = false, int maxConnections = 100, TimeSpan? commandTimeout = null)
    {
        var ports = FreePorts.Take(2);
        var pair = new PostgresReplicationPair(Path.Combine(Path.GetTempPath(), $"notifypush-pgha-{Guid.NewGuid():N}"), ports[0], ports[1]);
        try
        {
            var durability = durable ? "on" : "off";
            pair._primary = await PostgresServerProcess.StartInAsync(
                Path.Combine(pair._directory, "primary"),
                pair.PrimaryPort,
                string.Create(CultureInfo.InvariantCulture, $"""
                    max_connections = {maxConnections}
                    fsync = {durability}
                    full_page_writes = {durability}
                    wal_level = replica
                    max_wal_senders = 4
                    synchronous_commit = on
                    synchronous_standby_names = '*'
                    """),
                durable,
                commandTimeout);

            // The standby's name on the primary, and no synchronous standby of its own.
            pair._standby = await PostgresServerProcess.StartStandbyInAsync(
                pair._primary,
                Path.Combine(pair._directory, "standby"),
                pair.StandbyPort,
                string.Create(CultureInfo.InvariantCulture, $"""
                    synchronous_standby_names = ''
                    primary_conninfo = 'host=127.0.0.1 port={pair.PrimaryPort} user=postgres application_name=standby1'
                    """),
                durable);
            await pair.WaitUntilSynchronousAsync(commandTimeout ?? TimeSpan.FromSeconds(30));
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the primary as a crash would (<c>pg_ctl stop -m immediate</c>): no shutdown checkpoint, sessions cut.</summary>
    public Task KillPrimaryAsync() => Primary.KillAsync();

    /// <summary>Promotes the standby (<c>pg_ctl promote -w</c>): returns once it accepts writes.</summary>
    public Task PromoteStandbyAsync() => Standby.PromoteAsync();

    /// <summary>SIGKILL to both postmasters at once, without waiting (a hard stop of everything).</summary>
    public void KillAll()
    {
        _primary?.KillAtOnce();
        _standby?.KillAtOnce();
    }

    /// <summary>Stops both servers at once and deletes their folders.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var server in new[] { _standby, _primary })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private PostgresServerProcess Primary => _primary ?? throw new InvalidOperationException("The pair has not started.");

    private PostgresServerProcess Standby => _standby ?? throw new InvalidOperationException("The pair has not started.");

    private async Task WaitUntilSynchronousAsync(TimeSpan timeout)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={PrimaryPort};Username=postgres;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await Poll.UntilAsync(
            async () =>
            {
                await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'", connection);
                return (long)(await command.ExecuteScalarAsync())! == 1;
            },
            "the standby streams synchronously from the primary",
            timeout);
    }
}
