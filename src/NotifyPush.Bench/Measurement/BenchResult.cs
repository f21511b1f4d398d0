using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotifyPush.Bench.Measurement;

/// <summary>The JSON result of one run: what was run, on what, and what was measured.</summary>
internal sealed class BenchResult
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One line per message between the coordinator and its workers.</summary>
    public static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web);

    public string Scenario { get; set; } = string.Empty;

    /// <summary>The push server measured: <c>notifypush</c> or a peer's name (<c>--peer</c>).</summary>
    public string Target { get; set; } = "notifypush";

    public string? Label { get; set; }

    /// <summary>With <c>--passes</c>: which pass on the same servers this is (1: just started), of how many; null otherwise.</summary>
    public int? Pass { get; set; }

    /// <inheritdoc cref="Pass"/>
    public int? Passes { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public double ElapsedSeconds { get; set; }

    /// <summary>True when the run completed with no errors and nothing lost or duplicated.</summary>
    public bool Ok { get; set; }

    public string Summary { get; set; } = string.Empty;

    public MachineInfo Machine { get; set; } = new();

    public Dictionary<string, object?> Settings { get; set; } = [];

    public List<ServerReport> Servers { get; set; } = [];

    public SocketReport Sockets { get; set; } = new();

    public SendReport? Sends { get; set; }

    public DeliveryReport? Deliveries { get; set; }

    public LatencySummary? Latency { get; set; }

    /// <summary>CPU the server processes used in the measured phase (steady, throughput).</summary>
    public CpuReport? Cpu { get; set; }

    /// <summary>Idle: (server RSS with the sockets − RSS before them) / sockets, in KB.</summary>
    public double? RssPerSocketKb { get; set; }

    public List<FanOutRound>? FanOut { get; set; }

    public StormReport? Storm { get; set; }

    /// <summary>The scale scenario's phases around each fault and its per-socket check.</summary>
    public ScaleReport? Scale { get; set; }

    public SortedDictionary<string, long> Errors { get; set; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; set; } = [];
}

internal sealed class MachineInfo
{
    public int Cores { get; set; } = Environment.ProcessorCount;

    public double MemoryGiB { get; set; } = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024), 1);

    public string Os { get; set; } = System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    public string Runtime { get; set; } = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    public double LoadAverageBefore { get; set; }

    public double LoadAverageAfter { get; set; }
}

internal sealed class ServerReport
{
    public string Address { get; set; } = string.Empty;

    public int? Pid { get; set; }

    /// <summary>Before any socket connected (after start-up and a warm-up request).</summary>
    public ProcessSample? Baseline { get; set; }

    /// <summary>At the end of the measured phase.</summary>
    public ProcessSample? Loaded { get; set; }

    public long PeakRssKb { get; set; }

    /// <summary>This process's CPU seconds in the measured phase (steady, throughput).</summary>
    public double? PhaseCpuSeconds { get; set; }

    /// <summary>This process's CPU per notification delivered in the measured phase, in microseconds.</summary>
    public double? PhaseMicrosPerDelivered { get; set; }

    /// <summary>Bytes it allocated per notification delivered in the measured phase (all processes' deliveries).</summary>
    public double? PhaseAllocatedBytesPerDelivered { get; set; }

    /// <summary>Its garbage-collection pauses in the measured phase; null for a process that is not .NET.</summary>
    public GcPauseReport? GcPauses { get; set; }

    /// <summary>Sockets the replica reported in <c>/readyz</c> at the end of the measured phase.</summary>
    public int? ReadyzConnections { get; set; }

    public Dictionary<string, string> Environment { get; set; } = [];
}

internal sealed class SocketReport
{
    public int Requested { get; set; }

    public long Connected { get; set; }

    public long Synced { get; set; }

    public double ConnectSeconds { get; set; }

    /// <summary>
    /// The servers' CPU (user + system, from <c>/proc</c>) over the first connect phase, per socket connected: what a
    /// handshake costs a server just started, its first reads and subscriptions included. Null when a server's CPU could
    /// not be read (an attached server without its pid).
    /// </summary>
    public double? ServerMicrosPerHandshake { get; set; }

    public int Workers { get; set; }
}

internal sealed class SendReport
{
    public long Requests { get; set; }

    public long AcceptedRequests { get; set; }

    public long AcceptedNotifications { get; set; }

    public double DurationSeconds { get; set; }

    /// <summary>Notifications per second the sender aimed at (steady) or 0 for as fast as accepted (throughput).</summary>
    public double TargetRate { get; set; }

    public double AcceptedPerSecond { get; set; }

    /// <summary>Accepted notifications / seconds from the first POST to the last delivery.</summary>
    public double DeliveredPerSecond { get; set; }

    public double PostP50Ms { get; set; }

    public double PostP99Ms { get; set; }
}

internal sealed class CpuReport
{
    /// <summary>User + system CPU of all server processes (replicas or peer nodes) from the start of the measured phase to its last delivery.</summary>
    public double ServerCpuSeconds { get; set; }

    public double WallSeconds { get; set; }

    /// <summary><see cref="ServerCpuSeconds"/> / <see cref="WallSeconds"/>: cores busy on average.</summary>
    public double ServerCores { get; set; }

    /// <summary>Notifications received by the sockets in that time.</summary>
    public long Delivered { get; set; }

    /// <summary>Server CPU per delivered notification, in microseconds. Redis and PostgreSQL are not counted.</summary>
    public double MicrosPerDelivered { get; set; }

    /// <summary>User + system CPU of the Redis and PostgreSQL processes in the same time (a peer uses Redis only).</summary>
    public double BackendCpuSeconds { get; set; }

    /// <summary>Server, Redis and PostgreSQL CPU per delivered notification, in microseconds: everything a message costs but the load generator.</summary>
    public double AllMicrosPerDelivered { get; set; }

    /// <summary>Notifications answered 202 in the phase (each is one Redis publish and one stored row).</summary>
    public long Accepted { get; set; }

    /// <summary>User + system CPU of every redis-server process in the phase.</summary>
    public double RedisCpuSeconds { get; set; }

    /// <summary>User + system CPU of every postgres process in the phase.</summary>
    public double PostgresCpuSeconds { get; set; }

    /// <summary>Transactions PostgreSQL committed in the phase (<c>pg_stat_database.xact_commit</c>, reads included); null without one.</summary>
    public long? Commits { get; set; }

    /// <summary>Redis CPU per accepted notification, in microseconds: the cost of one publish (plain or sharded, by the backplane mode).</summary>
    public double? RedisMicrosPerPublish { get; set; }

    /// <summary>PostgreSQL CPU per accepted notification, in microseconds (at the run's <c>--batch</c> recipients per POST).</summary>
    public double? PostgresMicrosPerNotification { get; set; }

    /// <summary>PostgreSQL CPU per committed transaction, in microseconds.</summary>
    public double? PostgresMicrosPerCommit { get; set; }

    /// <summary>Whose Redis and PostgreSQL CPU was read: the run's own servers, or every such process on the machine.</summary>
    public string? BackendScope { get; set; }
}

internal sealed class DeliveryReport
{
    public long Expected { get; set; }

    public long Received { get; set; }

    public long Lost { get; set; }

    public long Duplicates { get; set; }

    /// <summary>Seconds after the last accepted POST until every notification had arrived.</summary>
    public double DrainSeconds { get; set; }
}

internal sealed class FanOutRound
{
    public int Recipients { get; set; }

    public double PostMs { get; set; }

    /// <summary>From just before the POST to the last socket's receipt.</summary>
    public double LastDeliveryMs { get; set; }

    public double P50Ms { get; set; }

    public double P99Ms { get; set; }

    public long Received { get; set; }
}

internal sealed class StormReport
{
    public int Sockets { get; set; }

    public int MissedPerUser { get; set; }

    /// <summary>The replicas were restarted while the sockets were away (<c>--restart yes</c>).</summary>
    public bool RestartedServers { get; set; }

    /// <summary>From the first replica's SIGTERM until every replica answered ready again.</summary>
    public double? RestartSeconds { get; set; }

    /// <summary>From the moment every client starts reconnecting to the last <c>synced</c> frame.</summary>
    public double AllSyncedSeconds { get; set; }

    public double AllConnectedSeconds { get; set; }

    public long Synced { get; set; }

    public long Lost { get; set; }

    public long Duplicates { get; set; }

    /// <summary>Replica CPU from the reconnect to the last replayed notification, per socket, in microseconds: one authenticated handshake with <c>since</c> and its replay of <see cref="MissedPerUser"/>.</summary>
    public double? ReplicaMicrosPerResume { get; set; }

    /// <summary>The same with the Redis and PostgreSQL processes' CPU added.</summary>
    public double? AllMicrosPerResume { get; set; }
}

/// <summary>A server process's garbage-collection pauses over the measured phase (<see cref="GcPauseRecorder"/>).</summary>
internal sealed class GcPauseReport
{
    public int Count { get; set; }

    public double TotalMs { get; set; }

    public double P99Ms { get; set; }

    public double MaxMs { get; set; }

    /// <summary>Bytes the process allocated in the phase (the runtime's <c>alloc-rate</c> counter, once a second), in MiB.</summary>
    public double AllocatedMB { get; set; }

    /// <summary>Bytes promoted out of gen0 and gen1 by the phase's collections, in MiB: what survived them.</summary>
    public double PromotedMB { get; set; }

    /// <summary>Pauses per generation (gen0, gen1, gen2): count and the longest.</summary>
    public SortedDictionary<string, GcGenerationPauses> ByGeneration { get; set; } = new(StringComparer.Ordinal);

    public static GcPauseReport From(IReadOnlyCollection<(int Generation, double Milliseconds)> pauses)
    {
        var sorted = pauses.Select(p => p.Milliseconds).Order().ToArray();
        var report = new GcPauseReport
        {
            Count = sorted.Length,
            TotalMs = Math.Round(sorted.Sum(), 2),
            // Nearest rank: the pause that 99% of the phase's pauses do not exceed.
            P99Ms = sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Max(0, (int)Math.Ceiling(sorted.Length * 0.99) - 1)], 2),
            MaxMs = sorted.Length == 0 ? 0 : Math.Round(sorted[^1], 2),
        };
        foreach (var group in pauses.GroupBy(p => p.Generation))
        {
            report.ByGeneration["gen" + group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new GcGenerationPauses { Count = group.Count(), MaxMs = Math.Round(group.Max(p => p.Milliseconds), 2) };
        }

        return report;
    }
}

internal sealed class GcGenerationPauses
{
    public int Count { get; set; }

    public double MaxMs { get; set; }
}
