using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's Sentinel topology: a master, its replica (<c>replicaof</c>) and three <c>redis-sentinel</c>
/// processes monitoring the master as <see cref="ServiceName"/> (quorum 2, down-after 1 s, failover timeout 5 s), on
/// free loopback ports, no persistence. The replicas connect through the sentinels with <c>serviceName</c>.
/// </summary>
internal sealed class RedisSentinelNodes : IRedisTopology
{
    public const string ServiceName = "mymaster";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(15);

    private readonly string _folder;
    private readonly string _cli;
    private readonly Dictionary<int, Process> _processes = [];

    private RedisSentinelNodes(string folder)
    {
        _folder = folder;
        _cli = ToolRunner.Executable("NOTIFYPUSH_TEST_REDIS_CLI", "/usr/bin/redis-cli", "redis-tools");
        var ports = ToolRunner.FreePorts(5);
        MasterPort = ports[0];
        ReplicaPort = ports[1];
        SentinelPorts = ports[2..];
    }

    public string Name => "sentinel";

    public int MasterPort { get; }

    public int ReplicaPort { get; }

    public IReadOnlyList<int> SentinelPorts { get; }

    public string Configuration => string.Join(",", SentinelPorts.Select(p => $"127.0.0.1:{p}")) + $",serviceName={ServiceName}";

    public string Mode => "Standalone";

    public IReadOnlyCollection<int> ServerPids =>
        new[] { MasterPort, ReplicaPort }.Where(_processes.ContainsKey).Select(p => _processes[p]).Where(p => !p.HasExited).Select(p => p.Id).ToList();

    public static async Task<RedisSentinelNodes> StartAsync(CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-bench-sentinel-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var nodes = new RedisSentinelNodes(folder);
        try
        {
            var server = ToolRunner.Executable("NOTIFYPUSH_TEST_REDIS_SERVER", "/usr/bin/redis-server", "redis-server");
            var sentinel = ToolRunner.Executable("NOTIFYPUSH_TEST_REDIS_SENTINEL", "/usr/bin/redis-sentinel", "redis-sentinel");
            await nodes.StartAsync(server, nodes.MasterPort, ServerConfig(nodes.MasterPort, null), cancellationToken).ConfigureAwait(false);
            await nodes.StartAsync(server, nodes.ReplicaPort, ServerConfig(nodes.ReplicaPort, nodes.MasterPort), cancellationToken).ConfigureAwait(false);
            foreach (var port in nodes.SentinelPorts)
            {
                await nodes.StartAsync(sentinel, port, SentinelConfig(port, nodes.MasterPort, folder), cancellationToken).ConfigureAwait(false);
            }

            // Every sentinel knows the replica and the two other sentinels: a failover can then be agreed on.
            foreach (var port in nodes.SentinelPorts)
            {
                await ToolRunner.WaitUntilAsync(
                    async () =>
                    {
                        var master = await nodes.CliAsync(port, "sentinel", "master", ServiceName).ConfigureAwait(false);
                        return Field(master, "num-slaves") >= 1 && Field(master, "num-other-sentinels") >= 2;
                    },
                    $"sentinel {port} to know the replica and the other sentinels",
                    Timeout,
                    cancellationToken).ConfigureAwait(false);
            }

            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>SIGKILLs the monitored master and waits until every sentinel names the replica as the master.</summary>
    public async Task<(string Description, long PromotedTimestamp)> KillMasterAsync(CancellationToken cancellationToken)
    {
        await ToolRunner.KillAsync(_processes[MasterPort]).ConfigureAwait(false);
        _processes.Remove(MasterPort, out var killed);
        killed?.Dispose();
        foreach (var port in SentinelPorts)
        {
            await ToolRunner.WaitUntilAsync(
                async () => (await CliAsync(port, "sentinel", "get-master-addr-by-name", ServiceName).ConfigureAwait(false)).Contains(ReplicaPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
                $"sentinel {port} to promote the replica {ReplicaPort}",
                Timeout,
                cancellationToken).ConfigureAwait(false);
        }

        await ToolRunner.WaitUntilAsync(
            async () => (await CliAsync(ReplicaPort, "info", "replication").ConfigureAwait(false)).Contains("role:master", StringComparison.Ordinal),
            $"redis {ReplicaPort} to report role:master",
            Timeout,
            cancellationToken).ConfigureAwait(false);
        return ($"SIGKILL of the Sentinel-monitored master 127.0.0.1:{MasterPort}, replica {ReplicaPort} promoted", Stopwatch.GetTimestamp());
    }

    public void KillAll()
    {
        foreach (var process in _processes.Values)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Gone already.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            await ToolRunner.KillAsync(process).ConfigureAwait(false);
            process.Dispose();
        }

        _processes.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A sentinel still rewriting its file: the folder is in /tmp.
        }
    }

    private async Task StartAsync(string executable, int port, string config, CancellationToken cancellationToken)
    {
        // Sentinel rewrites its file with what it learns: one file each.
        var path = Path.Combine(_folder, $"{port}.conf");
        await File.WriteAllTextAsync(path, config, cancellationToken).ConfigureAwait(false);
        _processes[port] = ToolRunner.StartServer(executable, [path], _folder);
        await ToolRunner.WaitUntilAsync(async () => (await CliAsync(port, "ping").ConfigureAwait(false)).Contains("PONG", StringComparison.Ordinal), $"redis {port} to answer PING", Timeout, cancellationToken).ConfigureAwait(false);
    }

    private static string ServerConfig(int port, int? replicaOf)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("save \"\"");
        config.AppendLine("appendonly no");
        config.AppendLine("daemonize no");
        config.AppendLine("loglevel warning");
        if (replicaOf is { } master)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"replicaof 127.0.0.1 {master}");
        }

        return config.ToString();
    }

    private static string SentinelConfig(int port, int masterPort, string folder) => string.Create(CultureInfo.InvariantCulture, $"""
        port {port}
        bind 127.0.0.1
        daemonize no
        loglevel warning
        dir {folder}
        sentinel monitor {ServiceName} 127.0.0.1 {masterPort} 2
        sentinel down-after-milliseconds {ServiceName} 1000
        sentinel failover-timeout {ServiceName} 5000
        sentinel parallel-syncs {ServiceName} 1

        """);

    /// <summary>A numeric field of redis-cli's answer to <c>SENTINEL MASTER</c> (name and value on alternate lines).</summary>
    private static int Field(string answer, string name)
    {
        var lines = answer.Split('\n', StringSplitOptions.TrimEntries);
        var index = Array.IndexOf(lines, name);
        return index >= 0 && index + 1 < lines.Length && int.TryParse(lines[index + 1], CultureInfo.InvariantCulture, out var value) ? value : -1;
    }

    private Task<string> CliAsync(int port, params string[] arguments) =>
        ToolRunner.RunAsync(_cli, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. arguments], CliTimeout);
}
