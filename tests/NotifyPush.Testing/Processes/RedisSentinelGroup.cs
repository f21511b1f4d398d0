using System.Globalization;
using System.Net;
using System.Text;
using StackExchange.Redis;

namespace NotifyPush.Testing;

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

    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _folder;
    private readonly TimeSpan _startTimeout;
    private readonly Dictionary<int, RedisServerProcess> _processes = [];

    private readonly string? _password;

    private RedisSentinelGroup(string folder, string? password, TimeSpan startTimeout)
    {
        _folder = folder;
        _password = password;
        _startTimeout = startTimeout;
        MasterPort = FreePorts.One();
        ReplicaPort = FreePorts.One();
        SentinelPorts = [FreePorts.One(), FreePorts.One(), FreePorts.One()];
    }

    /// <summary>The port of the master the sentinels monitor at the start.</summary>
    public int MasterPort { get; }

    /// <summary>The port of its replica, which a failover promotes.</summary>
    public int ReplicaPort { get; }

    public IReadOnlyList<int> SentinelPorts { get; }

    /// <summary>The pids of the live data servers (not the sentinels), for CPU readings.</summary>
    public IReadOnlyCollection<int> ServerPids =>
        [.. new[] { MasterPort, ReplicaPort }.Select(port => _processes.GetValueOrDefault(port)?.ProcessId).OfType<int>()];

    /// <summary>The backplane's configuration string: the sentinels and the service name, as docs/backplane.md gives it.</summary>
    public string Configuration =>
        string.Join(",", SentinelPorts.Select(p => $"127.0.0.1:{p}")) + $",serviceName={ServiceName}" +
        (_password is null ? string.Empty : $",password={_password}");

    /// <summary>Starts the servers and sentinels, and waits until every sentinel knows the replica and the other two.</summary>
    /// <param name="password">The password of every server and sentinel; none by default.</param>
    /// <param name="startTimeout">How long each start-up step may take; 30 s by default.</param>
    public static async Task<RedisSentinelGroup> StartAsync(string? password = null, TimeSpan? startTimeout = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-sentinel-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var group = new RedisSentinelGroup(folder, password, startTimeout ?? DefaultStartTimeout);
        try
        {
            var sentinel = TestEnvironment.RequireRedisSentinelExecutable();
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

    /// <summary>
    /// Waits until every sentinel names the replica as the master of <see cref="ServiceName"/> and the replica reports
    /// <c>role:master</c>.
    /// </summary>
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
        await using var replica = await ConnectServerAsync(ReplicaPort);
        await ServiceApi.EventuallyAsync(
            async () => (await replica.GetServer("127.0.0.1", ReplicaPort).InfoRawAsync("replication"))?.Contains("role:master", StringComparison.Ordinal) == true,
            $"redis {ReplicaPort} reports role:master",
            timeout);
    }

    /// <summary>Kills every process at once without waiting (a hard stop of everything).</summary>
    public void KillAll()
    {
        foreach (var process in _processes.Values)
        {
            process.Kill();
        }
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

    private static string ServerConfig(int port, int? replicaOf, string? password)
    {
        var config = RedisServerProcess.ConfigFor(port);
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
        _processes[port] = await RedisServerProcess.StartAsync(executable, port, [configPath], _folder, _password, _startTimeout);
    }

    private async Task KillAsync(int port)
    {
        if (_processes.Remove(port, out var process))
        {
            await process.DisposeAsync();
        }
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
            _startTimeout);
    }
}
