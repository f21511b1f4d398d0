using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NotifyPush.Bench.Load;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Scenarios;

/// <summary>The replicas of a run: started as child processes (or attached to), configured, sampled.</summary>
internal sealed partial class BenchRun
{
    /// <summary>Starts the replicas (or attaches to <c>--target</c>), waits until they are ready and takes their baseline.</summary>
    public async Task StartServersAsync(IReadOnlyDictionary<string, string>? extraSettings = null)
    {
        if (Options.Targets.Count > 0)
        {
            for (var i = 0; i < Options.Targets.Count; i++)
            {
                _replicas.Add(ServerReplica.Attach(Options.Targets[i], i < Options.TargetPids.Count ? Options.TargetPids[i] : null, Options.Peer.SocketPath));
            }
        }
        else if (Options.Peer.IsPeer)
        {
            var launch = Options.Peer.PeerLaunch(Options.PeersDirectory ?? Path.Combine(FindRepositoryRoot(), "artifacts", "peers"));
            var environment = PeerEnvironment();
            for (var i = 0; i < Options.Replicas; i++)
            {
                _replicas.Add(await ServerReplica.StartAsync(launch, environment, Options.Peer.SocketPath, Deadline).ConfigureAwait(false));
            }
        }
        else
        {
            var environment = ServerEnvironment(extraSettings);
            var dll = Options.ServerDll ?? FindServerDll();
            _startedWith = (dll, environment);
            // One after the other: the first applies the migrations, the others find them done.
            for (var i = 0; i < Options.Replicas; i++)
            {
                _replicas.Add(await ServerReplica.StartAsync(ServerReplica.NotifyPushLaunch(dll), environment, "/ws", Deadline).ConfigureAwait(false));
            }
        }

        foreach (var replica in _replicas)
        {
            await replica.WaitReadyAsync(_http, Deadline).ConfigureAwait(false);
        }

        Sender = new NotificationSender(
            _replicas.Select(r => r.BaseAddress).ToArray(), Options.ApiKey, UserPrefix, Options.Sockets, Math.Max(64, Options.Concurrency));
        // Let start-up work (JIT, migrations, the first cleanup pass) settle before the baseline.
        await Task.Delay(TimeSpan.FromSeconds(3), Deadline).ConfigureAwait(false);
        foreach (var replica in _replicas)
        {
            Result.Servers.Add(new ServerReport
            {
                Address = replica.BaseAddress.ToString(),
                Pid = replica.Pid,
                Baseline = replica.Sample(),
                Environment = new Dictionary<string, string>(replica.Environment),
            });
        }

        _sampling = SampleLoopAsync();
    }

    private Dictionary<string, string> ServerEnvironment(IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            // The listening line tells the bench the port; everything else keeps the shipped levels.
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
            ["NotifyPush__Auth__Jwt__Issuer"] = Options.Issuer,
            ["NotifyPush__Auth__Jwt__Audience"] = Options.Audience,
            ["NotifyPush__Auth__Jwt__SigningKey"] = Options.SigningKey,
            ["NotifyPush__Auth__ApiKeys__0__Name"] = "bench",
            ["NotifyPush__Auth__ApiKeys__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Options.ApiKey))),
            // One caller sends everything: the per-caller rate limit (200/s by default) would measure itself.
            ["NotifyPush__Api__RateLimitPerSecond"] = "0",
            ["NotifyPush__Api__MaxFanOut"] = Math.Max(10_000, Options.Sockets).ToString(CultureInfo.InvariantCulture),
            // Stop quickly at the end of a run; draining is not what is measured.
            ["NotifyPush__Connections__DrainSeconds"] = "0",
        };
        if (Options.Store == "postgres")
        {
            environment["NotifyPush__Store__Provider"] = "Postgres";
            environment["NotifyPush__Store__ConnectionString"] = Options.Postgres!.TrimEnd(';') + ";Search Path=bench_" + RunId;
        }
        else
        {
            environment["NotifyPush__Store__Provider"] = "Sqlite";
            environment["NotifyPush__Store__ConnectionString"] = "Data Source=" + Path.Combine(Path.GetTempPath(), $"notifypush-bench-{RunId}.db");
        }

        if (Options.Backplane == "redis")
        {
            environment["NotifyPush__Backplane__Provider"] = "Redis";
            environment["NotifyPush__Backplane__Configuration"] = Options.Redis!;
            environment["NotifyPush__Backplane__ChannelPrefix"] = "bench-" + RunId;
        }
        else
        {
            environment["NotifyPush__Backplane__Provider"] = "InProcess";
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        foreach (var (key, value) in Options.ServerEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>
    /// A peer node's settings, the same names for every peer: where to listen, the Redis between nodes (a fresh
    /// channel prefix per run), the token settings and the API key the bench uses. Peers store nothing.
    /// </summary>
    private Dictionary<string, string> PeerEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PEER_LISTEN"] = "127.0.0.1:0",
            ["PEER_REDIS"] = Options.Redis!,
            ["PEER_CHANNEL_PREFIX"] = "bench-" + RunId,
            ["PEER_SIGNING_KEY"] = Options.SigningKey,
            ["PEER_ISSUER"] = Options.Issuer,
            ["PEER_AUDIENCE"] = Options.Audience,
            ["PEER_API_KEY"] = Options.ApiKey,
        };
        if (Options.Peer == BenchTarget.SignalR)
        {
            // As NotifyPush's replicas: Production, the listening line, otherwise warnings only.
            environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            environment["DOTNET_ENVIRONMENT"] = "Production";
            environment["Logging__LogLevel__Default"] = "Warning";
            environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        }

        foreach (var (key, value) in Options.ServerEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    private static string FindServerDll()
    {
        var dll = Path.Combine(FindRepositoryRoot(), "src/NotifyPush.Server/bin/Release/net10.0/NotifyPush.Server.dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"{dll} is missing: build it first (dotnet build -c Release src/NotifyPush.Server) or pass --server-dll.");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NotifyPush.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found; pass --server-dll or --peers-dir.");
    }

    private async Task SampleLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Deadline, _stopSampling.Token);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false))
            {
                foreach (var replica in _replicas)
                {
                    replica.Sample(countSockets: false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
    }

    /// <summary>
    /// Restarts every started NotifyPush replica on its own port (SIGTERM, it drains; then a new process with the same
    /// settings) and waits until each is ready again: what a deploy does. Returns the seconds from the first stop to
    /// the last ready.
    /// </summary>
    public async Task<double> RestartServersAsync()
    {
        if (_startedWith is not var (dll, environment) || dll is null)
        {
            throw new InvalidOperationException("Only replicas this run started can be restarted.");
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < _replicas.Count; i++)
        {
            var port = _replicas[i].BaseAddress.Port;
            await _replicas[i].DisposeAsync().ConfigureAwait(false);
            _replicas[i] = await ServerReplica.StartAsync(ServerReplica.NotifyPushLaunch(dll, port), environment, "/ws", Deadline).ConfigureAwait(false);
            if (i < Result.Servers.Count)
            {
                Result.Servers[i].Pid = _replicas[i].Pid;
            }
        }

        foreach (var replica in _replicas)
        {
            await replica.WaitReadyAsync(_http, Deadline).ConfigureAwait(false);
        }

        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>Reads every replica's RSS, sockets and <c>/readyz</c> connection count into the result.</summary>
    public async Task SampleServersAsync()
    {
        for (var i = 0; i < _replicas.Count; i++)
        {
            Result.Servers[i].Loaded = _replicas[i].Sample();
            Result.Servers[i].ReadyzConnections = await _replicas[i].ReadConnectionsAsync(_http, Deadline).ConfigureAwait(false);
        }
    }

    public async Task<int?[]> ReadConnectionsAsync()
    {
        var counts = new int?[_replicas.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = await _replicas[i].ReadConnectionsAsync(_http, Deadline).ConfigureAwait(false);
        }

        return counts;
    }
}
