namespace NotifyPush.Bench.Servers;

/// <summary>
/// The push server a run measures: NotifyPush (the default) or one of the peers in <c>bench/peers</c>, which
/// <c>scripts/bench.sh compare</c> builds into <c>artifacts/peers</c>. A peer's nodes are started like NotifyPush's
/// replicas, configured by <c>PEER_*</c> environment variables, and sampled from <c>/proc</c> the same way.
/// </summary>
internal sealed class BenchTarget
{
    public static readonly BenchTarget NotifyPush = new("notifypush", "/ws", SocketProtocol.NotifyPush);

    /// <summary>gorilla/websocket + redigo; speaks NotifyPush's socket protocol.</summary>
    public static readonly BenchTarget Gorilla = new("gorilla", "/ws", SocketProtocol.NotifyPush);

    /// <summary>ASP.NET Core SignalR with the Redis backplane; the bench's sockets become SignalR hub connections.</summary>
    public static readonly BenchTarget SignalR = new("signalr", "/hubs/notifications", SocketProtocol.SignalR);

    /// <summary>The Centrifuge library (0.15) with its Redis broker; the bench's sockets speak Centrifuge's JSON protocol.</summary>
    public static readonly BenchTarget Centrifuge = new("centrifuge", "/connection/websocket", SocketProtocol.Centrifuge);

    public static readonly IReadOnlyList<BenchTarget> All = [NotifyPush, Gorilla, SignalR, Centrifuge];

    private BenchTarget(string name, string socketPath, SocketProtocol protocol)
    {
        Name = name;
        SocketPath = socketPath;
        Protocol = protocol;
    }

    public string Name { get; }

    /// <summary>Where sockets connect.</summary>
    public string SocketPath { get; }

    /// <summary>The client the bench's workers use.</summary>
    public SocketProtocol Protocol { get; }

    public bool IsPeer => this != NotifyPush;

    public static BenchTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>How to start one node of a peer built under <paramref name="peersDirectory"/>.</summary>
    public ServerLaunch PeerLaunch(string peersDirectory)
    {
        var (file, arguments) = Name switch
        {
            "gorilla" or "centrifuge" => (Path.Combine(peersDirectory, Name), (string[])[]),
            "signalr" => ("dotnet", [Path.Combine(peersDirectory, "signalr", "NotifyPush.Peers.SignalR.dll")]),
            _ => throw new InvalidOperationException($"{Name} is not a peer."),
        };
        var built = arguments.Length > 0 ? arguments[0] : file;
        return File.Exists(built)
            ? new ServerLaunch(file, arguments, Path.GetDirectoryName(built)!)
            : throw new InvalidOperationException($"{built} is missing: build the peers first (bash scripts/bench.sh compare builds them) or pass --peers-dir.");
    }
}

/// <summary>The socket protocol of a target, i.e. which client the workers run.</summary>
internal enum SocketProtocol
{
    /// <summary>NotifyPush's frames over a plain WebSocket (<see cref="Sockets.BenchSocket"/>).</summary>
    NotifyPush,

    /// <summary>NotifyPush's frames as Server-Sent Events, acks over HTTP (<see cref="Sockets.EventStreamBenchSocket"/>).</summary>
    NotifyPushEventStream,

    /// <summary>A SignalR hub connection (<see cref="Sockets.SignalRBenchSocket"/>).</summary>
    SignalR,

    /// <summary>Centrifuge's JSON protocol (<see cref="Sockets.CentrifugeBenchSocket"/>).</summary>
    Centrifuge,
}

/// <summary>A server process to start: executable, arguments and working folder.</summary>
internal sealed record ServerLaunch(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory);
