using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotifyPush.Testing;

/// <summary>
/// The one way a redis-server or redis-sentinel is started: a private process on its own free port, owned by one
/// test (or the bench), so that stopping it disturbs no other. Started with command-line settings or a config file,
/// it counts as up once it answers PING (after AUTH when it has a password).
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(15);
    private readonly string _executable;
    private readonly IReadOnlyList<string> _arguments;
    private readonly string _workingDirectory;
    private readonly string? _password;
    private ChildProcess? _process;

    private RedisServerProcess(string executable, int port, IReadOnlyList<string> arguments, string workingDirectory, string? password)
    {
        _executable = executable;
        _arguments = arguments;
        _workingDirectory = workingDirectory;
        _password = password;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>The running process's id; null when it is stopped or gone.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>Reserves a free port without starting the server (for "Redis is down at start-up").</summary>
    public static RedisServerProcess OnFreePort()
    {
        var port = FreePorts.One();
        return new(
            TestEnvironment.RequireRedisServerExecutable(),
            port,
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            Path.GetTempPath(),
            password: null);
    }

    /// <summary>Starts a server on a free port and waits until it answers PING.</summary>
    public static async Task<RedisServerProcess> StartAsync()
    {
        var server = OnFreePort();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>
    /// Starts <paramref name="executable"/> (redis-server or redis-sentinel) with <paramref name="arguments"/> (a config
    /// file, or settings) in <paramref name="workingDirectory"/>, and waits until it answers PING on <paramref name="port"/>.
    /// </summary>
    /// <param name="password">The <c>requirepass</c> of the server, sent with AUTH before PING.</param>
    public static async Task<RedisServerProcess> StartAsync(string executable, int port, IReadOnlyList<string> arguments, string workingDirectory, string? password = null, TimeSpan? timeout = null)
    {
        var server = new RedisServerProcess(executable, port, arguments, workingDirectory, password);
        await server.StartAgainAsync(timeout);
        return server;
    }

    /// <summary>Starts the server (again) on the same port and waits until it answers PING.</summary>
    public async Task StartAgainAsync(TimeSpan? timeout = null)
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The server is already running.");
        }

        var name = $"{Path.GetFileName(_executable)} :{Port}";
        var process = ChildProcess.Start(name, _executable, _arguments, _workingDirectory);
        _process = process;
        var limit = timeout ?? DefaultStartTimeout;
        var up = false;
        try
        {
            up = await Poll.UntilAsync(
                async () => await AnswersPingAsync(Port, _password) || process.HasExited,
                answered => answered,
                $"{name} answers PING",
                limit) && !process.HasExited;
        }
        catch (TimeoutException)
        {
        }

        if (!up)
        {
            var output = process.Output;
            await StopAsync();
            throw new InvalidOperationException($"{name} did not start within {limit.TotalSeconds} s: {output}");
        }
    }

    /// <summary>Kills the server, as a crash would, and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        await process.KillAsync(DefaultStartTimeout);
        await process.DisposeAsync();
    }

    /// <summary>Kills the server at once without waiting (a hard stop of everything).</summary>
    public void Kill() => _process?.Kill();

    /// <summary>
    /// Freezes the server for <paramref name="duration"/> (SIGSTOP, then SIGCONT), as a stalled host or a long fork
    /// would: connections stay open, nothing is answered. Completes when the server runs again.
    /// </summary>
    public async Task FreezeAsync(TimeSpan duration)
    {
        var process = _process ?? throw new InvalidOperationException("The server is not running.");
        await process.SignalAsync("STOP");
        try
        {
            await Task.Delay(duration);
        }
        finally
        {
            await process.SignalAsync("CONT");
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// The settings every private server starts from, as config-file lines: its port on 127.0.0.1, no persistence, in
    /// the foreground (the test owns the process), warnings only.
    /// </summary>
    public static StringBuilder ConfigFor(int port)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("save \"\"");
        config.AppendLine("appendonly no");
        config.AppendLine("daemonize no");
        config.AppendLine("loglevel warning");
        return config;
    }

    /// <summary>Whether a Redis answers PING on <paramref name="port"/> now (after AUTH with <paramref name="password"/>).</summary>
    public static async Task<bool> AnswersPingAsync(int port, string? password = null)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            var stream = client.GetStream();
            var command = password is null ? "PING\r\n" : $"AUTH {password}\r\nPING\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command)).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            var buffer = new byte[64];
            var text = new StringBuilder();
            while (!text.ToString().Contains("+PONG", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
                if (read == 0)
                {
                    return false;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }
}
