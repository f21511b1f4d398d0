using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotifyPush.Testing;

/// <summary>
/// A private PostgreSQL cluster owned by one test (or one test class), on its own free port, so that restarting or
/// stopping it disturbs no other test: the shared test server serves every test project at once, and a restart there
/// would fail whatever else is running. A cluster costs about a second (initdb without fsync, then start).
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root; as root the programs run as the <c>postgres</c> user (<c>runuser</c>), as
/// <c>scripts/test.sh</c> does. Trust authentication, TCP on 127.0.0.1 only, no Unix socket.
/// </remarks>
public sealed class PostgresServerProcess : IAsyncDisposable
{
    private const string ClusterOwner = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binaries;
    private readonly string _directory;

    private PostgresServerProcess(string binaries, string directory)
    {
        _binaries = binaries;
        _directory = directory;
    }

    /// <summary>The TCP port the server listens on (127.0.0.1); it stays the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>An Npgsql connection string for the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "postgres.log");

    /// <summary>Creates a cluster in a new temporary folder and starts it on a free port.</summary>
    public static async Task<PostgresServerProcess> StartAsync()
    {
        var server = new PostgresServerProcess(
            TestEnvironment.RequirePostgresBinaries(),
            Path.Combine(Path.GetTempPath(), $"notifypush-pg-{Guid.NewGuid():N}"));
        try
        {
            // initdb creates the folder and its parent as the cluster's owner, so the server can write its log there.
            await server.RunAsync("initdb", "-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync");
            for (var attempt = 1; ; attempt++)
            {
                // Another process may take the free port before the server binds it: then try another one.
                server.Port = FreePort();
                await server.WriteSettingsAsync();
                try
                {
                    await server.StartAgainAsync();
                    return server;
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the stopped server again (same port, same data) and returns once it accepts connections.</summary>
    public Task StartAgainAsync() => PgCtlAsync("-l", LogFile, "-w", "-t", "30", "start");

    /// <summary>
    /// Restarts the server as an operator would (<c>pg_ctl restart -m fast</c>): every open connection is terminated
    /// with 57P01, then the server starts again on the same port. Returns once it accepts connections.
    /// </summary>
    public Task RestartAsync() => PgCtlAsync("-l", LogFile, "-m", "fast", "-w", "-t", "30", "restart");

    /// <summary>Stops the server (<c>-m fast</c>); the data stays for <see cref="StartAgainAsync"/>.</summary>
    public Task StopAsync() => PgCtlAsync("-m", "fast", "-w", "-t", "30", "stop");

    /// <summary>Stops the server at once and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await PgCtlAsync("-m", "immediate", "-w", "-t", "30", "stop");
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }
        }

        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    // Settings go into the data folder (not pg_ctl -o) so that a restart keeps them. Durability is pointless for a
    // throw-away cluster; speed is not.
    private Task WriteSettingsAsync() =>
        File.WriteAllTextAsync(
            Path.Combine(DataDirectory, "postgresql.auto.conf"),
            string.Create(CultureInfo.InvariantCulture, $"""
                listen_addresses = '127.0.0.1'
                port = {Port}
                unix_socket_directories = ''
                max_connections = 100
                fsync = off
                synchronous_commit = off
                full_page_writes = off

                """));

    private Task PgCtlAsync(params string[] arguments) => RunAsync("pg_ctl", ["-D", DataDirectory, .. arguments]);

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

            var log = File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(10)) : "";
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {text}{log}");
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
