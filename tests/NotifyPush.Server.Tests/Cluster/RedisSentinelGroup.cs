using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A private Redis Sentinel deployment on free ports: one master, one replica (<c>replicaof</c>) and three sentinels
/// (<c>redis-sentinel</c>) monitoring the master as <see cref="ServiceName"/> with a quorum of 2, a 1 s down-after and
/// a short failover timeout. No persistence. Every process is killed and its folder deleted on dispose. With a
/// password, the servers (<c>requirepass</c>, <c>masterauth</c>) and the sentinels (<c>requirepass</c>,
/// <c>sentinel auth-pass</c>) all require it.
/// </summary>
public sealed class RedisSentinelGroup : IAsyncDisposable
{
    public const string ServiceName = "mymaster";

    /// <summary>Path of redis-sentinel, from <c>NOTIFYPUSH_TEST_REDIS_SENTINEL</c> (scripts/test.sh sets it).</summary>
    public const string SentinelVariable = "NOTIFYPUSH_TEST_REDIS_SENTINEL";

    private const string DefaultSentinel = "/usr/bin/redis-sentinel";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _folder;
    private readonly Dictionary<int, Process> _processes = [];

    private readonly string? _password;

    private RedisSentinelGroup(string folder, string? password)
    {
        _folder = folder;
        _password = password;
        MasterPort = FreePort();
        ReplicaPort = FreePort();
        SentinelPorts = [FreePort(), FreePort(), FreePort()];
    }

    /// <summary>The port of the master the sentinels monitor at the start.</summary>
    public int MasterPort { get; }

    /// <summary>The port of its replica, which a failover promotes.</summary>
    public int ReplicaPort { get; }

    public IReadOnlyList<int> SentinelPorts { get; }

    /// <summary>The backplane's configuration string: the sentinels and the service name, as docs/backplane.md gives it.</summary>
    public string Configuration =>
        string.Join(",", SentinelPorts.Select(p => $"127.0.0.1:{p}")) + $",serviceName={ServiceName}" +
        (_password is null ? string.Empty : $",password={_password}");

    /// <summary>Starts the servers and sentinels, and waits until every sentinel knows the replica and the other two.</summary>
    /// <param name="password">The password of every server and sentinel; none by default.</param>
    public static async Task<RedisSentinelGroup> StartAsync(string? password = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-sentinel-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var group = new RedisSentinelGroup(folder, password);
        try
        {
            var sentinel = RequireSentinelExecutable();
            var server = TestEnvironment.RequireRedisServerExecutable();
            await group.StartProcessAsync(server, group.MasterPort, ServerConfig(group.MasterPort, replicaOf: null, password));
            await group.StartProcessAsync(server, group.ReplicaPort, ServerConfig(group.ReplicaPort, replicaOf: group.MasterPort, password));
            foreach (var port in group.SentinelPorts)
            {
                await group.StartProcessAsync(sentinel, port, SentinelConfig(port, group.MasterPort, folder, password));
            }

            await group.WaitUntilSentinelsAgreeAsync();
        }
        catch
        {
            await group.DisposeAsync();
            throw;
        }

        return group;
    }

    /// <summary>Kills the monitored master with SIGKILL, as a crash would, and waits for it to exit.</summary>
    public Task KillMasterAsync() => KillAsync(MasterPort);

    /// <summary>Waits until every sentinel names the replica as the master of <see cref="ServiceName"/>.</summary>
    public async Task WaitUntilReplicaPromotedAsync(TimeSpan timeout)
    {
        await using var sentinels = await ConnectSentinelsAsync();
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                foreach (var port in SentinelPorts)
                {
                    var master = await sentinels.GetServer("127.0.0.1", port).SentinelGetMasterAddressByNameAsync(ServiceName);
                    if (master is not IPEndPoint { Port: var p } || p != ReplicaPort)
                    {
                        return false;
                    }
                }

                return true;
            },
            $"the sentinels promoted the replica on port {ReplicaPort}",
            timeout);
    }

    /// <summary>Connects to one data server directly (not through Sentinel), e.g. to look at its subscriptions.</summary>
    public Task<ConnectionMultiplexer> ConnectServerAsync(int port) =>
        ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=false,allowAdmin=true" + (_password is null ? string.Empty : $",password={_password}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var port in _processes.Keys.ToList())
        {
            await KillAsync(port);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string RequireSentinelExecutable()
    {
        var value = Environment.GetEnvironmentVariable(SentinelVariable);
        var path = string.IsNullOrWhiteSpace(value) ? DefaultSentinel : value.Trim();
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"redis-sentinel was not found at '{path}'. Install it (apt-get install redis-sentinel) or set {SentinelVariable} to its path.");
        }

        return path;
    }

    private static string ServerConfig(int port, int? replicaOf, string? password)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("save \"\"");
        config.AppendLine("appendonly no");
        config.AppendLine("daemonize no");
        config.AppendLine("loglevel warning");
        if (password is not null)
        {
            // masterauth on both: the master becomes a replica of the promoted one if it ever returns.
            config.AppendLine(CultureInfo.InvariantCulture, $"requirepass {password}");
            config.AppendLine(CultureInfo.InvariantCulture, $"masterauth {password}");
        }

        if (replicaOf is { } masterPort)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"replicaof 127.0.0.1 {masterPort}");
        }

        return config.ToString();
    }

    private static string SentinelConfig(int port, int masterPort, string folder, string? password)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("daemonize no");
        config.AppendLine("loglevel warning");
        config.AppendLine(CultureInfo.InvariantCulture, $"dir {folder}");
        config.AppendLine(CultureInfo.InvariantCulture, $"sentinel monitor {ServiceName} 127.0.0.1 {masterPort} 2");
        config.AppendLine(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {ServiceName} 1000");
        config.AppendLine(CultureInfo.InvariantCulture, $"sentinel failover-timeout {ServiceName} 5000");
        config.AppendLine(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {ServiceName} 1");
        if (password is not null)
        {
            // The sentinels' own password (clients and the other sentinels) and the one they use on the servers.
            config.AppendLine(CultureInfo.InvariantCulture, $"requirepass {password}");
            config.AppendLine(CultureInfo.InvariantCulture, $"sentinel sentinel-pass {password}");
            config.AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-pass {ServiceName} {password}");
        }
        return config.ToString();
    }

    private async Task StartProcessAsync(string executable, int port, string config)
    {
        // Sentinel rewrites its file (what it learns about the replicas and the other sentinels): one file each.
        var configPath = Path.Combine(_folder, $"{port}.conf");
        await File.WriteAllTextAsync(configPath, config);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[port] = process;

        using var timeout = new CancellationTokenSource(StartTimeout);
        while (!await AnswersPingAsync(port, _password))
        {
            if (process.HasExited || timeout.IsCancellationRequested)
            {
                string text;
                lock (output)
                {
                    text = output.ToString();
                }

                throw new InvalidOperationException($"{executable} did not start on port {port}: {text}");
            }

            // Polling for the server to listen: there is nothing to await.
            await Task.Delay(TimeSpan.FromMilliseconds(25), CancellationToken.None);
        }
    }

    private async Task KillAsync(int port)
    {
        if (!_processes.Remove(port, out var process))
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync().WaitAsync(StartTimeout);
        process.Dispose();
    }

    private Task<ConnectionMultiplexer> ConnectSentinelsAsync()
    {
        var options = new ConfigurationOptions { CommandMap = CommandMap.Sentinel, AbortOnConnectFail = false, AllowAdmin = true, Password = _password };
        foreach (var port in SentinelPorts)
        {
            options.EndPoints.Add(IPAddress.Loopback, port);
        }

        return ConnectionMultiplexer.ConnectAsync(options);
    }

    private async Task WaitUntilSentinelsAgreeAsync()
    {
        // A failover needs the replica known (from the master's INFO) and a majority of the sentinels known to each
        // other (from their hellos on the master, every 2 s) to elect a leader.
        await using var sentinels = await ConnectSentinelsAsync();
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                foreach (var port in SentinelPorts)
                {
                    var server = sentinels.GetServer("127.0.0.1", port);
                    if ((await server.SentinelReplicasAsync(ServiceName)).Length < 1 || (await server.SentinelSentinelsAsync(ServiceName)).Length < SentinelPorts.Count - 1)
                    {
                        return false;
                    }
                }

                return true;
            },
            "every sentinel knows the replica and the other sentinels",
            StartTimeout);
    }

    private static async Task<bool> AnswersPingAsync(int port, string? password)
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

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
