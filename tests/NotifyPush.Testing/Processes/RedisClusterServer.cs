using System.Globalization;

namespace NotifyPush.Testing;

/// <summary>
/// A private Redis Cluster owned by one test: 3 masters and 3 replicas (<c>redis-server --cluster-enabled yes</c> on free
/// ports, joined with <c>redis-cli --cluster create … --cluster-replicas 1</c>), with a short node timeout so that a
/// killed master's replica is promoted within seconds. Every process is killed on dispose. The tests and the bench's
/// scale scenario both run it.
/// </summary>
public sealed class RedisClusterServer : IAsyncDisposable
{
    private const int NodeTimeoutMilliseconds = 2000;
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(15);

    private readonly string _folder;
    private readonly string _cli;
    private readonly TimeSpan _startTimeout;
    private readonly Dictionary<int, RedisServerProcess> _processes = [];

    private RedisClusterServer(string folder, string cli, IReadOnlyList<int> ports, TimeSpan startTimeout)
    {
        _folder = folder;
        _cli = cli;
        _startTimeout = startTimeout;
        Ports = ports;
    }

    /// <summary>Every node's port, as started (the first three were created as masters).</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>Whether the last failover needed <c>CLUSTER FAILOVER TAKEOVER</c> (no election in time).</summary>
    public bool LastFailoverTakenOver { get; private set; }

    /// <summary>The port of the replica the last failover promoted.</summary>
    public int? LastPromotedPort { get; private set; }

    /// <summary>The pids of every live node, for CPU readings.</summary>
    public IReadOnlyCollection<int> ServerPids => [.. _processes.Values.Select(node => node.ProcessId).OfType<int>()];

    /// <summary>The seed nodes, as an operator gives them: the three masters.</summary>
    public string Configuration => string.Join(",", Ports.Take(3).Select(p => $"127.0.0.1:{p}"));

    /// <param name="startTimeout">How long each start-up step may take; 30 s by default.</param>
    public static async Task<RedisClusterServer> StartAsync(TimeSpan? startTimeout = null)
    {
        var cli = TestEnvironment.RequireRedisCliExecutable();
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-rediscluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new RedisClusterServer(folder, cli, FreePorts.Take(6, withBusPort: true), startTimeout ?? DefaultStartTimeout);
        try
        {
            var executable = TestEnvironment.RequireRedisServerExecutable();
            var nodes = await Task.WhenAll(server.Ports.Select(port => server.StartNodeAsync(executable, port)));
            foreach (var node in nodes)
            {
                server._processes[node.Port] = node;
            }

            await server.CliAsync(["--cluster", "create", .. server.Ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
            foreach (var port in server.Ports)
            {
                await ServiceApi.EventuallyAsync(() => server.IsClusterOkAsync(port), $"redis node {port} reports cluster_state:ok", server._startTimeout);
            }

            // Every replica has synced with its master (so one can take over at once).
            await ServiceApi.EventuallyAsync(async () => (await server.NodesAsync(server.Ports[0])).Count(n => n.IsMaster && !n.Failed) == 3 && (await server.NodesAsync(server.Ports[0])).Count(n => !n.IsMaster) == 3, "3 masters and 3 replicas", server._startTimeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>The cluster's nodes as the node on <paramref name="port"/> sees them (<c>CLUSTER NODES</c>).</summary>
    public async Task<IReadOnlyList<ClusterNode>> NodesAsync(int port)
    {
        var text = await CliAsync(["-p", port.ToString(CultureInfo.InvariantCulture), "cluster", "nodes"]);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length >= 8)
            .Select(fields => new ClusterNode(
                fields[0],
                int.Parse(fields[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture),
                fields[2].Split(',').Contains("master"),
                fields[2].Split(',').Any(flag => flag is "fail" or "fail?"),
                fields[3] == "-" ? null : fields[3]))
            .ToList();
    }

    /// <summary>The channels matching <paramref name="pattern"/> that have subscribers, over every live node: shard channels and classic ones.</summary>
    public async Task<(HashSet<string> Shard, HashSet<string> Classic)> ChannelsAsync(string pattern)
    {
        var shard = new HashSet<string>(StringComparer.Ordinal);
        var classic = new HashSet<string>(StringComparer.Ordinal);
        foreach (var port in LivePorts())
        {
            var p = port.ToString(CultureInfo.InvariantCulture);
            shard.UnionWith(Lines(await CliAsync(["-p", p, "pubsub", "shardchannels", pattern])));
            classic.UnionWith(Lines(await CliAsync(["-p", p, "pubsub", "channels", pattern])));
        }

        return (shard, classic);
    }

    /// <summary>
    /// SIGKILLs a master and waits until one of its replicas has been promoted and every live node reports
    /// <c>cluster_state:ok</c> again. Returns the killed master's port. The replicas elect one of themselves once the
    /// node timeout has passed; when that has not happened a few node timeouts later (on a loaded machine an election
    /// can be delayed or lost), the replica is told to take over (<c>CLUSTER FAILOVER TAKEOVER</c>), as an operator would.
    /// </summary>
    public async Task<int> KillMasterAndAwaitFailoverAsync(TimeSpan timeout)
    {
        var observer = LivePorts().First();
        var nodes = await NodesAsync(observer);
        var victim = nodes.First(n => n.IsMaster && !n.Failed && nodes.Any(r => r.MasterId == n.Id));
        var replicas = nodes.Where(r => r.MasterId == victim.Id).Select(r => r.Port).ToList();

        // Its replica holds the master's data (a replica that never synced would not stand for election).
        await ServiceApi.EventuallyAsync(
            async () => (await CliAsync(["-p", replicas[0].ToString(CultureInfo.InvariantCulture), "info", "replication"])).Contains("master_link_status:up", StringComparison.Ordinal),
            $"the replica {replicas[0]} of master {victim.Port} is in sync",
            timeout);
        LastFailoverTakenOver = false;
        LastPromotedPort = null;
        _processes.Remove(victim.Port, out var process);
        await process!.DisposeAsync();

        var survivor = LivePorts().First();
        async Task<bool> PromotedAsync()
        {
            var promoted = (await NodesAsync(survivor)).FirstOrDefault(n => replicas.Contains(n.Port) && n.IsMaster);
            LastPromotedPort = promoted?.Port;
            return promoted is not null;
        }

        try
        {
            await ServiceApi.EventuallyAsync(PromotedAsync, $"a replica of the killed master {victim.Port} is elected", TimeSpan.FromMilliseconds(NodeTimeoutMilliseconds * 4));
        }
        catch (TimeoutException)
        {
            LastFailoverTakenOver = true;
            await CliAsync(["-p", replicas[0].ToString(CultureInfo.InvariantCulture), "cluster", "failover", "takeover"]);
        }

        await ServiceApi.EventuallyAsync(PromotedAsync, $"a replica of the killed master {victim.Port} is promoted", timeout);
        foreach (var port in LivePorts())
        {
            await ServiceApi.EventuallyAsync(() => IsClusterOkAsync(port), $"redis node {port} reports cluster_state:ok after the failover", timeout);
        }

        return victim.Port;
    }

    /// <summary>Kills every node at once without waiting (a hard stop of everything).</summary>
    public void KillAll()
    {
        foreach (var node in _processes.Values)
        {
            node.Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _processes.Values)
        {
            await node.DisposeAsync();
        }

        _processes.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A node still writing its file: the folder is in the temporary folder.
        }
    }

    private IEnumerable<int> LivePorts() => Ports.Where(_processes.ContainsKey).ToList();

    private Task<RedisServerProcess> StartNodeAsync(string executable, int port)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        return RedisServerProcess.StartAsync(
            executable,
            port,
            [
                "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_folder, $"nodes-{p}.conf"),
                "--cluster-node-timeout", NodeTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--loglevel", "warning", "--dir", _folder,
            ],
            _folder,
            timeout: _startTimeout);
    }

    private async Task<bool> IsClusterOkAsync(int port)
    {
        try
        {
            return (await CliAsync(["-p", port.ToString(CultureInfo.InvariantCulture), "cluster", "info"])).Contains("cluster_state:ok", StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private Task<string> CliAsync(IEnumerable<string> arguments) =>
        ChildProcess.RunCheckedAsync(_cli, ["-h", "127.0.0.1", .. arguments], CliTimeout);

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
