using System.Globalization;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Cli;

/// <summary>The settings of one benchmark run: the scenario, its load, and the servers it measures.</summary>
internal sealed class BenchOptions
{
    /// <summary>One of <see cref="Scenarios"/>.</summary>
    public string Scenario { get; set; } = string.Empty;

    /// <summary>Authenticated sockets held, one user each.</summary>
    public int Sockets { get; set; }

    /// <summary>Server replicas started (ignored with <see cref="Targets"/>).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Notifications per second sent by the steady scenario.</summary>
    public int Rate { get; set; }

    /// <summary>Length of the measured phase in seconds (steady, throughput, idle).</summary>
    public int DurationSeconds { get; set; }

    /// <summary>
    /// Unmeasured traffic before the measured phase, in seconds (steady, throughput; fanout sends unmeasured fan-outs
    /// for this long). Long enough for tiered compilation to settle: a profile of a replica started seconds before
    /// spent a quarter of its CPU in the JIT.
    /// </summary>
    public int WarmupSeconds { get; set; } = 15;

    /// <summary>
    /// Steady and throughput: run the phase (warm-up and measured) this many times on the same servers, each pass
    /// written as a result of its own (<c>pass</c>). Pass 1 is a server just started; pass 2 the same process warm,
    /// after a whole run of the load.
    /// </summary>
    public int Passes { get; set; } = 1;

    /// <summary>Concurrent POSTs in flight (throughput).</summary>
    public int Concurrency { get; set; } = 64;

    /// <summary>Recipients per POST (throughput): 1 is one notification per request.</summary>
    public int Batch { get; set; } = 1;

    /// <summary>Fan-out POSTs (fanout) or notifications each user misses while disconnected (storm).</summary>
    public int Rounds { get; set; } = 5;

    /// <summary>
    /// Storm: restart every replica while the sockets are away, so they reconnect onto processes that just started
    /// (a deploy), instead of onto warm ones.
    /// </summary>
    public bool RestartServers { get; set; }

    /// <summary>
    /// How NotifyPush's clients connect: <c>websocket</c> (<c>/ws</c>, the default) or <c>sse</c> (<c>GET /sse</c> with acks
    /// through <c>POST /sse/ack</c>), to measure what an event stream costs beside a socket.
    /// </summary>
    public string Transport { get; set; } = "websocket";

    /// <summary>Most sockets one worker process holds; more sockets start more workers (the file limit is per process).</summary>
    public int SocketsPerWorker { get; set; } = 10_000;

    /// <summary>Client source addresses 127.0.0.2 … 127.0.0.(1+n), so one box exceeds one address's ephemeral ports.</summary>
    public int SourceAddresses { get; set; } = 8;

    /// <summary>Handshakes in flight per worker.</summary>
    public int ConnectConcurrency { get; set; } = 200;

    /// <summary>The run stops itself, with an error, after this many seconds.</summary>
    public int DeadlineSeconds { get; set; } = 280;

    /// <summary><c>postgres</c> or <c>sqlite</c>.</summary>
    public string Store { get; set; } = "postgres";

    /// <summary><c>redis</c> or <c>inprocess</c>.</summary>
    public string Backplane { get; set; } = "redis";

    /// <summary>Npgsql connection string of the server (a schema per run is added); default NOTIFYPUSH_TEST_POSTGRES.</summary>
    public string? Postgres { get; set; } = Environment.GetEnvironmentVariable("NOTIFYPUSH_TEST_POSTGRES");

    /// <summary>StackExchange.Redis configuration; default NOTIFYPUSH_TEST_REDIS.</summary>
    public string? Redis { get; set; } = Environment.GetEnvironmentVariable("NOTIFYPUSH_TEST_REDIS");

    /// <summary>Running replicas to attach to instead of starting them.</summary>
    public List<Uri> Targets { get; } = [];

    /// <summary>Process ids of the attached replicas, for RSS and descriptor counts (optional, same order as <see cref="Targets"/>).</summary>
    public List<int> TargetPids { get; } = [];

    /// <summary>HS256 key the tokens are signed with (passed to started replicas).</summary>
    public string SigningKey { get; set; } = "notifypush-bench-signing-key-0123456789abcdef";

    public string Issuer { get; set; } = "notifypush-bench";

    public string Audience { get; set; } = "notifypush";

    /// <summary>Service API key (its SHA-256 is passed to started replicas).</summary>
    public string ApiKey { get; set; } = "notifypush-bench-api-key";

    /// <summary>Folder of the JSON results.</summary>
    public string OutputDirectory { get; set; } = "bench-results";

    /// <summary>A name added to the result (e.g. the experiment: <c>workstation-gc</c>).</summary>
    public string? Label { get; set; }

    /// <summary>Extra environment of started replicas (<c>--server-env DOTNET_gcServer=0</c>), for experiments.</summary>
    public Dictionary<string, string> ServerEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The push server measured: NotifyPush (default) or a peer from <c>bench/peers</c> (<c>--peer gorilla</c>).</summary>
    public BenchTarget Peer { get; set; } = BenchTarget.NotifyPush;

    /// <summary>Where the peers were built; default <c>artifacts/peers</c> in the repository.</summary>
    public string? PeersDirectory { get; set; }

    /// <summary>The server to start; default the Release build in the repository.</summary>
    public string? ServerDll { get; set; }

    /// <summary>Inputs of the <c>plot</c> command: JSON result files or folders.</summary>
    public List<string> Inputs { get; } = [];

    /// <summary>Output file of the <c>plot</c> command.</summary>
    public string? PlotOutput { get; set; }

    /// <summary>scale: the Redis topology it starts, <c>cluster</c> (3 masters + 3 replicas) or <c>sentinel</c> (<c>--redis</c>).</summary>
    public string RedisTopology { get; set; } = "cluster";

    /// <summary>scale: the faults, in order: <c>redis</c> (a master SIGKILLed), <c>postgres</c> (primary killed, standby promoted).</summary>
    public List<string> Faults { get; } = ["redis", "postgres"];

    /// <summary>scale: seconds of steady load before the first fault, after each promotion and after the last.</summary>
    public int SettleSeconds { get; set; } = 20;

    /// <summary>The scenarios and commands.</summary>
    public static readonly string[] Scenarios = ["idle", "steady", "throughput", "fanout", "storm", "smoke", "scale", "plot", "table"];

    public const string Usage = """
        usage: NotifyPush.Bench <scenario> [options]

        scenarios (defaults in brackets):
          idle        hold sockets on one replica and report server RSS per socket   [--sockets 18000 --duration 30]
          steady      send at a fixed rate across replicas, POST->receipt latency     [--sockets 10000 --replicas 2 --rate 1000 --duration 30]
          throughput  closed-loop sends with Postgres committing each notification    [--sockets 2000 --concurrency 64 --batch 1 --duration 15]
          fanout      one POST to every user, time to the last delivery              [--sockets 10000 --rounds 5]
          storm       drop every socket, send while they are away, resume with since [--sockets 10000 --replicas 2 --rounds 2]
                      (--restart yes: restart the replicas meanwhile, so the storm lands on just-started processes)
          smoke       a few sockets for a few seconds through every phase (CI)       [--sockets 4 --duration 2]
          scale       4 replicas on its own Redis Cluster (or Sentinel) and a PostgreSQL primary with a synchronous
                      standby, steady sends, a Redis master killed then the PostgreSQL primary: latency and loss per phase
                                                                                     [--sockets 10000 --rate 1000 --warmup 15 --settle 20 --redis cluster --faults redis,postgres]
          plot        draw an SVG from JSON results: plot <files or folders> --out docs/benchmarks/scaling.svg
          table       one markdown table (scenario x target) from JSON results: table <files or folders>
          heap        live objects of a running replica by type: heap <pid> [--top N]
          gc          a running replica's GC pauses by generation: gc <pid> [--seconds N]
          allocs      what a running replica allocates, by type: allocs <pid> [--seconds N] [--top N]

        options:
          --sockets N --replicas N --rate N --duration S --warmup S (15) --concurrency N --batch N --rounds N
          --sockets-per-worker N  (10000; the file limit is per process)   --source-addresses N (8: 127.0.0.2..)
          --connect-concurrency N (200 handshakes in flight per worker)     --deadline S (280)
          --store postgres|sqlite --backplane redis|inprocess --postgres CONNSTR --redis HOST:PORT
          --target URL (repeat; attach to running replicas) --target-pid PID (repeat)
          --signing-key K --issuer I --audience A --api-key K   (must match attached replicas)
          --server-env KEY=VALUE (repeat) --server-dll PATH --out DIR --label NAME
          --transport websocket|sse  (NotifyPush only: clients on /ws, or on GET /sse with POST /sse/ack)
          --passes N  (steady, throughput: the phase N times on the same servers, a result per pass; 1 just started, 2 warm)
          scale only: --redis cluster|sentinel (the topology it starts, not an address) --faults redis,postgres|none
          --settle S (20: load before, after each promotion, after the last fault)
          --peer notifypush|gorilla|signalr|centrifuge  measure a peer from bench/peers instead (idle, steady, throughput, fanout;
                                              built by scripts/bench.sh compare)   --peers-dir DIR (artifacts/peers)
        """;

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            throw new ArgumentException(Usage);
        }

        var options = new BenchOptions { Scenario = args[0] };
        if (!Scenarios.Contains(options.Scenario, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown scenario '{options.Scenario}'.\n{Usage}");
        }

        options.ApplyScenarioDefaults();
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                options.Inputs.Add(arg);
                continue;
            }

            string name, value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && !arg.StartsWith("--server-env", StringComparison.Ordinal))
            {
                name = arg[2..equals];
                value = arg[(equals + 1)..];
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"--{name} needs a value.");
                }

                value = args[++i];
            }

            options.Set(name, value);
        }

        options.Validate();
        return options;
    }

    private void ApplyScenarioDefaults()
    {
        switch (Scenario)
        {
            case "idle":
                Sockets = 18_000;
                DurationSeconds = 30;
                break;
            case "steady":
                Sockets = 10_000;
                Replicas = 2;
                Rate = 1_000;
                DurationSeconds = 30;
                break;
            case "throughput":
                Sockets = 2_000;
                DurationSeconds = 15;
                break;
            case "fanout":
                Sockets = 10_000;
                Rounds = 5;
                break;
            case "storm":
                Sockets = 10_000;
                Replicas = 2;
                Rounds = 2;
                break;
            case "scale":
                Sockets = 10_000;
                Replicas = 4;
                Rate = 1_000;
                DeadlineSeconds = 900;
                break;
            case "smoke":
                Sockets = 4;
                Rate = 20;
                DurationSeconds = 2;
                WarmupSeconds = 1;
                Rounds = 1;
                SourceAddresses = 2;
                DeadlineSeconds = 120;
                break;
        }
    }

    private void Set(string name, string value)
    {
        switch (name)
        {
            case "sockets": Sockets = Int(name, value, 1); break;
            case "replicas": Replicas = Int(name, value, 1); break;
            case "rate": Rate = Int(name, value, 1); break;
            case "duration": DurationSeconds = Int(name, value, 1); break;
            case "warmup": WarmupSeconds = Int(name, value, 0); break;
            case "concurrency": Concurrency = Int(name, value, 1); break;
            case "batch": Batch = Int(name, value, 1); break;
            case "rounds": Rounds = Int(name, value, 1); break;
            case "passes": Passes = Int(name, value, 1); break;
            case "transport": Transport = value is "websocket" or "sse" ? value : throw new ArgumentException($"--transport is websocket or sse, not '{value}'."); break;
            case "restart": RestartServers = value is "yes" or "true" ? true : value is "no" or "false" ? false : throw new ArgumentException($"--restart is yes or no, not '{value}'."); break;
            case "sockets-per-worker": SocketsPerWorker = Int(name, value, 1); break;
            case "source-addresses": SourceAddresses = Int(name, value, 1); break;
            case "connect-concurrency": ConnectConcurrency = Int(name, value, 1); break;
            case "deadline": DeadlineSeconds = Int(name, value, 5); break;
            case "store": Store = value.ToLowerInvariant(); break;
            case "backplane": Backplane = value.ToLowerInvariant(); break;
            case "postgres": Postgres = value; break;
            case "redis" when Scenario == "scale": RedisTopology = value.ToLowerInvariant(); break;
            case "redis": Redis = value; break;
            case "faults":
                Faults.Clear();
                Faults.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(f => f != "none").Select(f => f.ToLowerInvariant()));
                break;
            case "settle": SettleSeconds = Int(name, value, 1); break;
            case "target": Targets.Add(new Uri(value.EndsWith('/') ? value : value + "/")); break;
            case "target-pid": TargetPids.Add(Int(name, value, 1)); break;
            case "signing-key": SigningKey = value; break;
            case "issuer": Issuer = value; break;
            case "audience": Audience = value; break;
            case "api-key": ApiKey = value; break;
            case "out": if (Scenario == "plot") { PlotOutput = value; } else { OutputDirectory = value; } break;
            case "label": Label = value; break;
            case "server-dll": ServerDll = value; break;
            case "peer": Peer = BenchTarget.Find(value) ?? throw new ArgumentException($"--peer is one of {string.Join(", ", BenchTarget.All.Select(t => t.Name))}, not '{value}'."); break;
            case "peers-dir": PeersDirectory = value; break;
            case "server-env":
                var equals = value.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new ArgumentException("--server-env needs KEY=VALUE.");
                }

                ServerEnvironment[value[..equals]] = value[(equals + 1)..];
                break;
            default:
                throw new ArgumentException($"Unknown option --{name}.\n{Usage}");
        }
    }

    private void Validate()
    {
        if (Scenario == "table")
        {
            if (Inputs.Count == 0)
            {
                throw new ArgumentException("table needs result files or folders.");
            }

            return;
        }

        if (Scenario == "plot")
        {
            if (Inputs.Count == 0 || PlotOutput is null)
            {
                throw new ArgumentException("plot needs result files or folders and --out FILE.svg.");
            }

            return;
        }

        if (Store is not ("postgres" or "sqlite") || Backplane is not ("redis" or "inprocess"))
        {
            throw new ArgumentException("--store is postgres or sqlite; --backplane is redis or inprocess.");
        }

        if (Peer.IsPeer)
        {
            ValidatePeer();
        }

        if (Scenario == "scale")
        {
            ValidateScale();
            return;
        }

        if (Targets.Count > 0)
        {
            Replicas = Targets.Count;
            return;
        }

        if (Peer.IsPeer)
        {
            return;
        }

        if (Store == "postgres" && string.IsNullOrEmpty(Postgres))
        {
            throw new ArgumentException("The Postgres store needs --postgres or NOTIFYPUSH_TEST_POSTGRES (scripts/bench.sh starts one).");
        }

        if (Backplane == "redis" && string.IsNullOrEmpty(Redis))
        {
            throw new ArgumentException("The Redis backplane needs --redis or NOTIFYPUSH_TEST_REDIS (scripts/bench.sh starts one).");
        }

        if (Replicas > 1 && Backplane == "inprocess")
        {
            throw new ArgumentException("Several replicas need the Redis backplane.");
        }

        if (SourceAddresses > 250)
        {
            throw new ArgumentException("--source-addresses is at most 250 (127.0.0.2 to 127.0.0.251).");
        }
    }

    /// <summary>
    /// Peers store nothing and number each user's notifications in memory on the node that accepts the POST, so
    /// only scenarios that neither resume (storm, smoke) nor send one user's POSTs to different nodes apply.
    /// </summary>
    private void ValidatePeer()
    {
        if (Transport == "sse")
        {
            throw new ArgumentException($"--transport sse is NotifyPush's fallback; --peer {Peer.Name} speaks its own WebSocket protocol.");
        }

        if (Scenario is "storm" or "smoke")
        {
            throw new ArgumentException($"--peer {Peer.Name} runs idle, steady, throughput and fanout: peers neither store nor replay, and {Scenario} resumes sockets with since.");
        }

        if (Targets.Count == 0 && string.IsNullOrEmpty(Redis))
        {
            throw new ArgumentException("A peer needs --redis or NOTIFYPUSH_TEST_REDIS between its nodes (scripts/bench.sh starts one).");
        }

        if (Scenario == "throughput" && Batch > 1 && Math.Max(Replicas, Targets.Count) > 1)
        {
            throw new ArgumentException("A peer numbers a user's notifications on the node that takes the POST: throughput with --batch > 1 needs one replica.");
        }
    }

    /// <summary>The scale scenario starts its own Redis and PostgreSQL and replicas: nothing to attach to, one store and backplane.</summary>
    private void ValidateScale()
    {
        if (RedisTopology is not ("cluster" or "sentinel"))
        {
            throw new ArgumentException($"scale: --redis is cluster or sentinel (the topology it starts), not '{RedisTopology}'.");
        }

        if (Faults.FirstOrDefault(f => f is not ("redis" or "postgres")) is { } unknown)
        {
            throw new ArgumentException($"scale: --faults lists redis and/or postgres (or none), not '{unknown}'.");
        }

        if (Targets.Count > 0 || Peer.IsPeer || Store != "postgres" || Backplane != "redis")
        {
            throw new ArgumentException("scale starts its own replicas on PostgreSQL and Redis: --target, --peer, --store and --backplane do not apply.");
        }

        if (Replicas < 2)
        {
            throw new ArgumentException("scale needs at least 2 replicas (--replicas), so that deliveries cross the backplane.");
        }
    }

    private static int Int(string name, string value, int min)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min)
        {
            throw new ArgumentException($"--{name} must be an integer of at least {min}, not '{value}'.");
        }

        return number;
    }
}
