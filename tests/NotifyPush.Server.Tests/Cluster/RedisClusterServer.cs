using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A private Redis Cluster owned by one test: 3 masters and 3 replicas (<c>redis-server --cluster-enabled yes</c> on free
/// ports, joined with <c>redis-cli --cluster create … --cluster-replicas 1</c>), with a short node timeout so that a
/// killed master's replica is promoted within seconds. Every process is killed on dispose.
/// </summary>
public sealed class RedisClusterServer : IAsyncDisposable
{
    /// <summary>The path of redis-cli, from here or <c>/usr/bin/redis-cli</c> (Debian's redis-tools).</summary>
    public const string RedisCliVariable = "NOTIFYPUSH_TEST_REDIS_CLI";

    private const int NodeTimeoutMilliseconds = 2000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(10);

    private readonly string _folder;
    private readonly string _cli;
    private readonly Dictionary<int, Process> _processes = [];

    private RedisClusterServer(string folder, string cli, IReadOnlyList<int> ports)
    {
        _folder = folder;
        _cli = cli;
        Ports = ports;
    }

    /// <summary>Every node's port, as started (the first three were created as masters).</summary>
    public IReadOnlyList<int> Ports { get; }

    /// <summary>Whether the last failover needed <c>CLUSTER FAILOVER TAKEOVER</c> (no election in time).</summary>
    public bool LastFailoverTakenOver { get; private set; }

    /// <summary>The seed nodes, as an operator gives them: the three masters.</summary>
    public string Configuration => string.Join(",", Ports.Take(3).Select(p => $"127.0.0.1:{p}"));

    public static async Task<RedisClusterServer> StartAsync()
    {
        var cli = Environment.GetEnvironmentVariable(RedisCliVariable) is { Length: > 0 } path ? path.Trim() : "/usr/bin/redis-cli";
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"redis-cli was not found at '{cli}'. Install it (apt-get install redis-tools) or set {RedisCliVariable}.");
        }

        var folder = Path.Combine(Path.GetTempPath(), "notifypush-rediscluster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new RedisClusterServer(folder, cli, FreePorts(6));
        try
        {
            foreach (var port in server.Ports)
            {
                server.StartNode(port);
            }

            foreach (var port in server.Ports)
            {
                await ServiceApi.EventuallyAsync(() => AnswersPingAsync(port), $"redis node {port} answers PING", StartTimeout);
            }

            await server.CliAsync(["--cluster", "create", .. server.Ports.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
            foreach (var port in server.Ports)
            {
                await ServiceApi.EventuallyAsync(() => server.IsClusterOkAsync(port), $"redis node {port} reports cluster_state:ok", StartTimeout);
            }

            // Every replica has synced with its master (so one can take over at once).
            await ServiceApi.EventuallyAsync(async () => (await server.NodesAsync(server.Ports[0])).Count(n => n.IsMaster && !n.Failed) == 3 && (await server.NodesAsync(server.Ports[0])).Count(n => !n.IsMaster) == 3, "3 masters and 3 replicas", StartTimeout);
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
        var process = _processes[victim.Port];
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(StartTimeout);
        _processes.Remove(victim.Port);
        process.Dispose();

        var survivor = LivePorts().First();
        async Task<bool> PromotedAsync() => (await NodesAsync(survivor)).Any(n => replicas.Contains(n.Port) && n.IsMaster);
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

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }

                await process.WaitForExitAsync().WaitAsync(StartTimeout);
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        _processes.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private IEnumerable<int> LivePorts() => Ports.Where(_processes.ContainsKey).ToList();

    private void StartNode(int port)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo(TestEnvironment.RequireRedisServerExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        foreach (var argument in new[]
        {
            "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(_folder, $"nodes-{p}.conf"),
            "--cluster-node-timeout", NodeTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning", "--dir", _folder,
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-server.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[port] = process;
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

    private async Task<string> CliAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(_cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-h");
        start.ArgumentList.Add("127.0.0.1");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-cli.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(CliTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} did not finish within {CliTimeout.TotalSeconds} s.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} failed: {await stderr}{await stdout}");
        }

        return await stdout;
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<bool> AnswersPingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            return Encoding.ASCII.GetString(buffer, 0, read).Contains("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Ports whose cluster bus port (+10000) is free too, in 20000-50000.</summary>
    private static List<int> FreePorts(int count)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 50_000);
            if (!ports.Contains(port) && IsFree(port) && IsFree(port + 10_000))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
