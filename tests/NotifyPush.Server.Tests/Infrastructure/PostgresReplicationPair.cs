using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL primary with one synchronous streaming standby (<c>pg_basebackup -R</c>), each on its own free
/// port, for a failover test: the primary can be killed (<c>pg_ctl stop -m immediate</c>) and the standby promoted
/// (<c>pg_ctl promote</c>). Both servers are stopped and their folders deleted on dispose.
/// </summary>
/// <remarks>
/// As <see cref="PostgresServerProcess"/>: as root the programs run as the <c>postgres</c> user (<c>runuser</c>),
/// trust authentication, TCP on 127.0.0.1 only. <c>synchronous_standby_names = '*'</c> on the primary makes every
/// commit wait until the standby has it, so what was acknowledged survives the primary's loss; the standby has none,
/// so once promoted (alone) it commits without waiting for a standby of its own.
/// </remarks>
public sealed class PostgresReplicationPair : IAsyncDisposable
{
    private const string ClusterOwner = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binaries;
    private readonly string _directory;

    private PostgresReplicationPair(string binaries, string directory)
    {
        _binaries = binaries;
        _directory = directory;
    }

    /// <summary>The primary's port (127.0.0.1).</summary>
    public int PrimaryPort { get; private set; }

    /// <summary>The standby's port (127.0.0.1).</summary>
    public int StandbyPort { get; private set; }

    /// <summary>Both servers in one multi-host connection string that follows the primary.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1:{PrimaryPort},127.0.0.1:{StandbyPort};Target Session Attributes=primary;Username=postgres;Database=postgres";

    /// <summary>The standby alone (after its promotion: the new primary).</summary>
    public string StandbyConnectionString => $"Host=127.0.0.1;Port={StandbyPort};Username=postgres;Database=postgres";

    private string PrimaryData => Path.Combine(_directory, "primary");

    private string StandbyData => Path.Combine(_directory, "standby");

    /// <summary>Creates the primary, clones the standby from it, starts both and returns once the standby is synchronous.</summary>
    public static async Task<PostgresReplicationPair> StartAsync()
    {
        var pair = new PostgresReplicationPair(
            TestEnvironment.RequirePostgresBinaries(),
            Path.Combine(Path.GetTempPath(), $"notifypush-pgha-{Guid.NewGuid():N}"));
        try
        {
            pair.PrimaryPort = FreePort();
            do
            {
                pair.StandbyPort = FreePort();
            }
            while (pair.StandbyPort == pair.PrimaryPort);
            await pair.RunAsync("initdb", "-D", pair.PrimaryData, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync");
            await File.WriteAllTextAsync(
                Path.Combine(pair.PrimaryData, "postgresql.auto.conf"),
                string.Create(CultureInfo.InvariantCulture, $"""
                    listen_addresses = '127.0.0.1'
                    port = {pair.PrimaryPort}
                    unix_socket_directories = ''
                    max_connections = 100
                    fsync = off
                    wal_level = replica
                    max_wal_senders = 4
                    synchronous_commit = on
                    synchronous_standby_names = '*'

                    """));
            await pair.PgCtlAsync(pair.PrimaryData, "-l", Path.Combine(pair.PrimaryData, "postgres.log"), "-w", "-t", "30", "start");

            await pair.RunAsync("pg_basebackup", "-h", "127.0.0.1", "-p", pair.PrimaryPort.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
                "-D", pair.StandbyData, "-R", "-X", "stream", "--no-sync");

            // Later lines win: the standby's own port, its name on the primary, and no synchronous standby of its own.
            await File.AppendAllTextAsync(
                Path.Combine(pair.StandbyData, "postgresql.auto.conf"),
                string.Create(CultureInfo.InvariantCulture, $"""

                    port = {pair.StandbyPort}
                    synchronous_standby_names = ''
                    primary_conninfo = 'host=127.0.0.1 port={pair.PrimaryPort} user=postgres application_name=standby1'

                    """));
            await pair.PgCtlAsync(pair.StandbyData, "-l", Path.Combine(pair.StandbyData, "postgres.log"), "-w", "-t", "30", "start");
            await pair.WaitUntilSynchronousAsync();
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the primary as a crash would (<c>pg_ctl stop -m immediate</c>): no shutdown checkpoint, sessions cut.</summary>
    public Task KillPrimaryAsync() => PgCtlAsync(PrimaryData, "-m", "immediate", "-w", "-t", "30", "stop");

    /// <summary>Promotes the standby (<c>pg_ctl promote -w</c>): returns once it accepts writes.</summary>
    public Task PromoteStandbyAsync() => PgCtlAsync(StandbyData, "-w", "-t", "30", "promote");

    /// <summary>Stops both servers at once and deletes their folders.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var data in new[] { StandbyData, PrimaryData })
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                try
                {
                    await PgCtlAsync(data, "-m", "immediate", "-w", "-t", "30", "stop");
                }
                catch (InvalidOperationException)
                {
                    // Already stopped; the folder goes anyway.
                }
            }
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task WaitUntilSynchronousAsync()
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
            TimeSpan.FromSeconds(30));
    }

    private Task PgCtlAsync(string data, params string[] arguments) => RunAsync("pg_ctl", ["-D", data, .. arguments]);

    private async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (var argument in new[] { "-u", ClusterOwner, "--" })
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(Path.Combine(_binaries, program));
        }
        else
        {
            start.FileName = Path.Combine(_binaries, program);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds} s.");
        }

        if (process.ExitCode != 0)
        {
            string text;
            lock (output)
            {
                text = output.ToString();
            }

            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {text}");
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
