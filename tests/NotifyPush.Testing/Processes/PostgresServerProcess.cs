using System.Globalization;

namespace NotifyPush.Testing;

/// <summary>
/// The one way a private PostgreSQL cluster is run: created with initdb (or cloned from another with pg_basebackup)
/// in a folder of its own, on its own free port, and driven with pg_ctl, so that restarting or stopping it disturbs no
/// other test: the shared test server serves every test project at once, and a restart there would fail whatever else
/// is running. A throw-away cluster costs about a second (initdb without fsync, then start).
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root; as root the programs run as the <c>postgres</c> user (<c>runuser</c>), as
/// <c>scripts/test.sh</c> does. Trust authentication, TCP on 127.0.0.1 only, no Unix socket.
/// </remarks>
public sealed class PostgresServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binaries;
    private readonly string _directory;
    private readonly bool _ownsDirectory;
    private readonly TimeSpan _commandTimeout;

    private PostgresServerProcess(string binaries, string directory, bool ownsDirectory, TimeSpan commandTimeout)
    {
        _binaries = binaries;
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        _commandTimeout = commandTimeout;
    }

    /// <summary>The TCP port the server listens on (127.0.0.1); it stays the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>An Npgsql connection string for the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    /// <summary>The postmaster's pid (from <c>postmaster.pid</c>); null when the server is stopped.</summary>
    public int? PostmasterPid
    {
        get
        {
            try
            {
                var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
                return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    private string LogFile => Path.Combine(_directory, "postgres.log");

    /// <summary>Creates a throw-away cluster (no durability) in a new temporary folder and starts it on a free port.</summary>
    public static async Task<PostgresServerProcess> StartAsync()
    {
        var server = new PostgresServerProcess(
            TestEnvironment.RequirePostgresBinaries(),
            Path.Combine(Path.GetTempPath(), $"notifypush-pg-{Guid.NewGuid():N}"),
            ownsDirectory: true,
            DefaultCommandTimeout);
        try
        {
            await server.InitDbAsync(durable: false);
            for (var attempt = 1; ; attempt++)
            {
                // Another process may take the free port before the server binds it: then try another one.
                server.Port = FreePorts.One();
                await server.WriteSettingsAsync("""
                    max_connections = 100
                    fsync = off
                    synchronous_commit = off
                    full_page_writes = off
                    """);
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

    /// <summary>
    /// Creates a cluster in <paramref name="directory"/> (the caller deletes the folder) with <paramref name="settings"/>
    /// on <paramref name="port"/>, and starts it.
    /// </summary>
    /// <param name="durable">fsync the data as a production server does (initdb and settings); off for tests.</param>
    public static async Task<PostgresServerProcess> StartInAsync(string directory, int port, string settings, bool durable, TimeSpan? commandTimeout = null)
    {
        var server = new PostgresServerProcess(TestEnvironment.RequirePostgresBinaries(), directory, ownsDirectory: false, commandTimeout ?? DefaultCommandTimeout) { Port = port };
        await server.InitDbAsync(durable);
        await server.WriteSettingsAsync(settings);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// Clones <paramref name="primary"/> into <paramref name="directory"/> as a streaming standby
    /// (<c>pg_basebackup -R -X stream</c>), adds <paramref name="settings"/> after the copied ones (later lines win),
    /// and starts it on <paramref name="port"/>.
    /// </summary>
    public static async Task<PostgresServerProcess> StartStandbyInAsync(PostgresServerProcess primary, string directory, int port, string settings, bool durable)
    {
        var standby = new PostgresServerProcess(primary._binaries, directory, ownsDirectory: false, primary._commandTimeout) { Port = port };
        await standby.RunAsync("pg_basebackup", ["-h", "127.0.0.1", "-p", primary.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres",
            "-D", standby.DataDirectory, "-R", "-X", "stream", .. durable ? Array.Empty<string>() : ["--no-sync"]]);
        await File.AppendAllTextAsync(
            Path.Combine(standby.DataDirectory, "postgresql.auto.conf"),
            string.Create(CultureInfo.InvariantCulture, $"\nport = {port}\n{settings}\n"));
        await standby.StartAgainAsync();
        return standby;
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

    /// <summary>Kills the server as a crash would (<c>pg_ctl stop -m immediate</c>): no shutdown checkpoint, sessions cut.</summary>
    public Task KillAsync() => PgCtlAsync("-m", "immediate", "-w", "-t", "30", "stop");

    /// <summary>Promotes a standby (<c>pg_ctl promote -w</c>): returns once it accepts writes.</summary>
    public Task PromoteAsync() => PgCtlAsync("-w", "-t", "30", "promote");

    /// <summary>SIGKILL to the postmaster at once, without waiting (a hard stop of everything).</summary>
    public void KillAtOnce()
    {
        if (PostmasterPid is not { } pid)
        {
            return;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone already.
        }
    }

    /// <summary>Stops the server at once and deletes its folder (when it made it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await KillAsync();
            }
            catch (InvalidOperationException)
            {
                // Already stopped; the folder goes anyway.
            }
        }

        if (_ownsDirectory && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    // initdb creates the folder and its parent as the cluster's owner, so the server can write its log there.
    private Task InitDbAsync(bool durable) =>
        RunAsync("initdb", ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", .. durable ? Array.Empty<string>() : ["--no-sync"]]);

    // Settings go into the data folder (not pg_ctl -o) so that a restart keeps them.
    private Task WriteSettingsAsync(string settings) =>
        File.WriteAllTextAsync(
            Path.Combine(DataDirectory, "postgresql.auto.conf"),
            string.Create(CultureInfo.InvariantCulture, $"""
                listen_addresses = '127.0.0.1'
                port = {Port}
                unix_socket_directories = ''
                {settings}

                """));

    private Task PgCtlAsync(params string[] arguments) => RunAsync("pg_ctl", ["-D", DataDirectory, .. arguments]);

    private async Task RunAsync(string program, string[] arguments)
    {
        try
        {
            await ChildProcess.RunCheckedAsync(Path.Combine(_binaries, program), arguments, _commandTimeout, asUser: ChildProcess.PostgresUser);
        }
        catch (InvalidOperationException ex)
        {
            var log = File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(10)) : "";
            throw new InvalidOperationException($"{ex.Message}{log}", ex);
        }
    }
}
