using System.Diagnostics;
using System.Globalization;

namespace NotifyPush.Bench.Servers;

/// <summary>
/// The scale scenario's Redis Cluster: 3 masters and 3 replicas (<c>redis-server --cluster-enabled yes</c> on free
/// loopback ports, joined with <c>redis-cli --cluster create … --cluster-replicas 1 --cluster-yes</c>), a 2 s node
/// timeout, no persistence. Every node is killed and the folder deleted on dispose.
/// </summary>
internal sealed class RedisClusterNodes : IRedisTopology
{
    private const int NodeTimeoutMilliseconds = 2000;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(15);

    private readonly string _folder;
    private readonly string _cli;
    private readonly string _server;
    private readonly Dictionary<int, Process> _processes = [];

    private RedisClusterNodes(string folder)
    {
        _folder = folder;
        _cli = ToolRunner.Executable("NOTIFYPUSH_TEST_REDIS_CLI", "/usr/bin/redis-cli", "redis-tools");
        _server = ToolRunner.Executable("NOTIFYPUSH_TEST_REDIS_SERVER", "/usr/bin/redis-server", "redis-server");
        Ports = ToolRunner.FreePorts(6, withBusPort: true);
    }

    public string Name => "cluster";

    public IReadOnlyList<int> Ports { get; }

    /// <summary>The seed nodes, as an operator gives them: the three nodes created as masters.</summary>
    public string Configuration => string.Join(",", Ports.Take(3).Select(p => $"127.0.0.1:{p}"));

    public string Mode => "Cluster";

    public IReadOnlyCollection<int> ServerPids => _processes.Values.Where(p => !p.HasExited).Select(p => p.Id).ToList();

    public static async Task<RedisClusterNodes> StartAsync(CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-bench-cluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var nodes = new RedisClusterNodes(folder);
        try
        {
            foreach (var port in nodes.Ports)
            {
                var p = port.ToString(CultureInfo.InvariantCulture);
                nodes._processes[port] = ToolRunner.StartServer(nodes._server, [
                    "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(folder, $"nodes-{p}.conf"),
                    "--cluster-node-timeout", NodeTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
                    "--daemonize", "no", "--loglevel", "warning", "--dir", folder,
                ], folder);
            }

            foreach (var port in nodes.Ports)
            {
                await ToolRunner.WaitUntilAsync(async () => (await nodes.CliAsync(port, "ping").ConfigureAwait(false)).Contains("PONG", StringComparison.Ordinal), $"redis node {port} to answer PING", Timeout, cancellationToken).ConfigureAwait(false);
            }

            await ToolRunner.RunAsync(nodes._cli, ["--cluster", "create", .. nodes.Ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"], CliTimeout).ConfigureAwait(false);
            await nodes.WaitHealthyAsync(cancellationToken).ConfigureAwait(false);
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// SIGKILLs the first live master that has an in-sync replica and waits until the replica is elected (or, when no
    /// election happened within four node timeouts, told to take over with <c>CLUSTER FAILOVER TAKEOVER</c>, as an
    /// operator would) and every live node reports <c>cluster_state:ok</c>.
    /// </summary>
    public async Task<(string Description, long PromotedTimestamp)> KillMasterAsync(CancellationToken cancellationToken)
    {
        var observer = _processes.Keys.First();
        var nodes = await NodesAsync(observer).ConfigureAwait(false);
        var victim = nodes.First(n => n.Master && !n.Failed && nodes.Any(r => r.MasterId == n.Id));
        var replica = nodes.First(r => r.MasterId == victim.Id).Port;
        await ToolRunner.WaitUntilAsync(async () => (await CliAsync(replica, "info", "replication").ConfigureAwait(false)).Contains("master_link_status:up", StringComparison.Ordinal), $"replica {replica} in sync", Timeout, cancellationToken).ConfigureAwait(false);

        await ToolRunner.KillAsync(_processes[victim.Port]).ConfigureAwait(false);
        _processes.Remove(victim.Port, out var killed);
        killed?.Dispose();

        var survivor = _processes.Keys.First(p => p != replica);
        async Task<bool> PromotedAsync() => (await NodesAsync(survivor).ConfigureAwait(false)).Any(n => n.Port == replica && n.Master);
        var takenOver = false;
        try
        {
            await ToolRunner.WaitUntilAsync(PromotedAsync, $"replica {replica} elected", TimeSpan.FromMilliseconds(NodeTimeoutMilliseconds * 4), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            takenOver = true;
            await CliAsync(replica, "cluster", "failover", "takeover").ConfigureAwait(false);
            await ToolRunner.WaitUntilAsync(PromotedAsync, $"replica {replica} promoted", Timeout, cancellationToken).ConfigureAwait(false);
        }

        await WaitHealthyAsync(cancellationToken).ConfigureAwait(false);
        return ($"SIGKILL of cluster master 127.0.0.1:{victim.Port}, replica {replica} {(takenOver ? "took over (CLUSTER FAILOVER TAKEOVER)" : "elected")}", Stopwatch.GetTimestamp());
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
            // A node still writing its file: the folder is in /tmp.
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        foreach (var port in _processes.Keys)
        {
            await ToolRunner.WaitUntilAsync(async () => (await CliAsync(port, "cluster", "info").ConfigureAwait(false)).Contains("cluster_state:ok", StringComparison.Ordinal), $"redis node {port} to report cluster_state:ok", Timeout, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<Node>> NodesAsync(int port)
    {
        var text = await CliAsync(port, "cluster", "nodes").ConfigureAwait(false);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length >= 8)
            .Select(fields => new Node(
                fields[0],
                int.Parse(fields[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture),
                fields[2].Split(',').Contains("master"),
                fields[2].Split(',').Any(flag => flag is "fail" or "fail?"),
                fields[3] == "-" ? null : fields[3]))
            .ToList();
    }

    private Task<string> CliAsync(int port, params string[] arguments) =>
        ToolRunner.RunAsync(_cli, ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. arguments], CliTimeout);

    private sealed record Node(string Id, int Port, bool Master, bool Failed, string? MasterId);
}
