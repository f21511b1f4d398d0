using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's PostgreSQL: a primary with one synchronous streaming standby (<c>pg_basebackup -R</c>,
/// <c>synchronous_standby_names = '*'</c>), durable (<c>fsync</c>, <c>synchronous_commit</c> and
/// <c>full_page_writes</c> on), each on a free loopback port, run as the <c>postgres</c> user when the bench is root.
/// The primary can be killed (<c>pg_ctl stop -m immediate</c>) and the standby promoted (<c>pg_ctl promote</c>).
/// </summary>
internal sealed class PostgresStandbyPair : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly string _binaries;
    private readonly string _directory;

    private PostgresStandbyPair(string binaries, string directory)
    {
        _binaries = binaries;
        _directory = directory;
        var ports = ToolRunner.FreePorts(2);
        PrimaryPort = ports[0];
        StandbyPort = ports[1];
    }

    public int PrimaryPort { get; }

    public int StandbyPort { get; }

    /// <summary>Both servers in one multi-host connection string that follows the primary (docs/store.md, Failover).</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Target Session Attributes=primary;Username=postgres;Database=postgres";

    private string PrimaryData => Path.Combine(_directory, "primary");

    private string StandbyData => Path.Combine(_directory, "standby");

    /// <summary>The postmasters' pids (from <c>postmaster.pid</c>); their children are the backends whose CPU is read.</summary>
    public IReadOnlyCollection<int> PostmasterPids => new[] { PrimaryData, StandbyData }.Select(Postmaster).OfType<int>().ToList();

    public static async Task<PostgresStandbyPair> StartAsync(CancellationToken cancellationToken)
    {
        var pair = new PostgresStandbyPair(Binaries(), Path.Combine(Path.GetTempPath(), $"notifypush-bench-pg-{Guid.NewGuid():N}"));
        try
        {
            await pair.RunAsync("initdb", "-D", pair.PrimaryData, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale").ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(pair.PrimaryData, "postgresql.auto.conf"), string.Create(CultureInfo.InvariantCulture, $"""
                listen_addresses = '127.0.0.1'
                port = {pair.PrimaryPort}
                unix_socket_directories = ''
                max_connections = 300
                fsync = on
                synchronous_commit = on
                full_page_writes = on
                wal_level = replica
                max_wal_senders = 4
                synchronous_standby_names = '*'

                """), cancellationToken).ConfigureAwait(false);
            await pair.PgCtlAsync(pair.PrimaryData, "-l", Path.Combine(pair.PrimaryData, "postgres.log"), "-w", "-t", "60", "start").ConfigureAwait(false);
            await pair.RunAsync("pg_basebackup", "-h", "127.0.0.1", "-p", pair.PrimaryPort.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
                "-D", pair.StandbyData, "-R", "-X", "stream").ConfigureAwait(false);

            // Later lines win: the standby's own port, its name on the primary, and no synchronous standby of its own
            // (once promoted, alone, it commits without waiting).
            await File.AppendAllTextAsync(Path.Combine(pair.StandbyData, "postgresql.auto.conf"), string.Create(CultureInfo.InvariantCulture, $"""

                port = {pair.StandbyPort}
                synchronous_standby_names = ''
                primary_conninfo = 'host=127.0.0.1 port={pair.PrimaryPort} user=postgres application_name=standby1'

                """), cancellationToken).ConfigureAwait(false);
            await pair.PgCtlAsync(pair.StandbyData, "-l", Path.Combine(pair.StandbyData, "postgres.log"), "-w", "-t", "60", "start").ConfigureAwait(false);

            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={pair.PrimaryPort};Username=postgres;Database=postgres;Pooling=false");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ToolRunner.WaitUntilAsync(
                async () =>
                {
                    await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'", connection);
                    return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 1;
                },
                "the standby to stream synchronously",
                TimeSpan.FromSeconds(60),
                cancellationToken).ConfigureAwait(false);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Kills the primary as a crash would (<c>pg_ctl stop -m immediate</c>), waits <paramref name="beforePromotion"/>
    /// (the time an operator or Patroni takes to decide) and promotes the standby; returns when it accepts writes.
    /// </summary>
    public async Task<(string Description, long PromotedTimestamp)> FailOverAsync(TimeSpan beforePromotion, CancellationToken cancellationToken)
    {
        await PgCtlAsync(PrimaryData, "-m", "immediate", "-w", "-t", "60", "stop").ConfigureAwait(false);
        await Task.Delay(beforePromotion, cancellationToken).ConfigureAwait(false);
        await PgCtlAsync(StandbyData, "-w", "-t", "60", "promote").ConfigureAwait(false);
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

    public void KillAll()
    {
        foreach (var pid in PostmasterPids)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var data in new[] { StandbyData, PrimaryData })
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                try
                {
                    await PgCtlAsync(data, "-m", "immediate", "-w", "-t", "30", "stop").ConfigureAwait(false);
                }
                catch (InvalidOperationException)
                {
                    // Stopped already; the folder goes anyway.
                }
            }
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static int? Postmaster(string data)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary><c>NOTIFYPUSH_TEST_PG_BIN</c>, else the newest <c>/usr/lib/postgresql/*/bin</c> (Debian's layout, as scripts/test.sh picks it).</summary>
    private static string Binaries()
    {
        var value = Environment.GetEnvironmentVariable("NOTIFYPUSH_TEST_PG_BIN");
        IEnumerable<string> candidates = string.IsNullOrWhiteSpace(value)
            ? (Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [])
                .Select(version => Path.Combine(version, "bin"))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            : [value.Trim()];
        return candidates.FirstOrDefault(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
            ?? throw new InvalidOperationException("initdb and pg_ctl were not found: install PostgreSQL (apt-get install postgresql) or set NOTIFYPUSH_TEST_PG_BIN.");
    }

    private Task PgCtlAsync(string data, params string[] arguments) => RunAsync("pg_ctl", ["-D", data, .. arguments]);

    private Task<string> RunAsync(string program, params string[] arguments) =>
        ToolRunner.RunAsync(Path.Combine(_binaries, program), arguments, CommandTimeout, asPostgres: true);
}
