using System.Diagnostics;
using System.Globalization;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Scenarios;

/// <summary>What a measured phase cost: the replicas', Redis's and PostgreSQL's CPU, and PostgreSQL's commits.</summary>
internal sealed partial class BenchRun
{
    /// <summary>
    /// The start of a measured phase: the replicas' and backends' CPU seconds so far, receipts, acceptances and commits
    /// so far; starts recording each .NET replica's GC pauses and allocations until <see cref="RecordCpuAsync"/>.
    /// </summary>
    public async Task<CpuMark> MarkCpuAsync()
    {
        DisposeGcPauses();
        _gcPauses = _replicas.Select(r => r.Pid is { } pid ? GcPauseRecorder.TryStart(pid) : null).ToArray();
        return new(
            _replicas.Select(r => r.CpuSeconds()).ToArray(),
            BackendCpu(),
            PostgresCpu(),
            Sum(s => s.Received),
            Sender.AcceptedNotifications,
            await ReadCommitsAsync().ConfigureAwait(false),
            Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// Fills <see cref="BenchResult.Cpu"/> from <paramref name="mark"/> to now (call after the drain): server CPU per
    /// notification delivered in the phase, Redis CPU per accepted notification (one publish each), PostgreSQL CPU per
    /// accepted notification and per committed transaction; per replica, its own CPU, allocations and GC pauses per
    /// delivered notification. Skipped when a replica's process is unknown (attached without a pid).
    /// </summary>
    public async Task RecordCpuAsync(CpuMark mark)
    {
        var now = _replicas.Select(r => r.CpuSeconds()).ToArray();
        var deliveredInPhase = Sum(s => s.Received) - mark.Received;
        for (var i = 0; i < _gcPauses.Length && i < Result.Servers.Count; i++)
        {
            if (_gcPauses[i] is { } recorder)
            {
                var gc = await recorder.StopAsync().ConfigureAwait(false);
                Result.Servers[i].GcPauses = gc;
                Result.Servers[i].PhaseAllocatedBytesPerDelivered = deliveredInPhase > 0 ? Math.Round(gc.AllocatedMB * 1024 * 1024 / deliveredInPhase, 0) : null;
            }
        }

        DisposeGcPauses();
        if (now.Length == 0 || now.Concat(mark.CpuSeconds).Any(c => c is null))
        {
            return;
        }

        for (var i = 0; i < now.Length && i < Result.Servers.Count; i++)
        {
            var replicaCpu = now[i]!.Value - mark.CpuSeconds[i]!.Value;
            Result.Servers[i].PhaseCpuSeconds = Math.Round(replicaCpu, 2);
            Result.Servers[i].PhaseMicrosPerDelivered = deliveredInPhase > 0 ? Math.Round(replicaCpu * 1e6 / deliveredInPhase, 1) : 0;
        }

        var cpu = now.Zip(mark.CpuSeconds, (after, before) => after!.Value - before!.Value).Sum();
        var backends = ProcessStats.CpuSecondsBetween(mark.BackendCpuSeconds, BackendCpu());
        var postgres = ProcessStats.CpuSecondsBetween(mark.PostgresCpuSeconds, PostgresCpu());
        var commits = await ReadCommitsAsync().ConfigureAwait(false) - mark.Commits;
        var delivered = Sum(s => s.Received) - mark.Received;
        var accepted = Sender.AcceptedNotifications - mark.Accepted;
        var wall = Stopwatch.GetElapsedTime(mark.Timestamp).TotalSeconds;
        Result.Cpu = new CpuReport
        {
            ServerCpuSeconds = Math.Round(cpu, 2),
            WallSeconds = Math.Round(wall, 2),
            ServerCores = Math.Round(cpu / wall, 2),
            Delivered = delivered,
            MicrosPerDelivered = delivered > 0 ? Math.Round(cpu * 1e6 / delivered, 1) : 0,
            BackendCpuSeconds = Math.Round(backends, 2),
            AllMicrosPerDelivered = delivered > 0 ? Math.Round((cpu + backends) * 1e6 / delivered, 1) : 0,
            Accepted = accepted,
            RedisCpuSeconds = Math.Round(backends - postgres, 2),
            PostgresCpuSeconds = Math.Round(postgres, 2),
            Commits = commits,
            RedisMicrosPerPublish = accepted > 0 ? Math.Round((backends - postgres) * 1e6 / accepted, 1) : null,
            PostgresMicrosPerNotification = accepted > 0 ? Math.Round(postgres * 1e6 / accepted, 1) : null,
            PostgresMicrosPerCommit = commits > 0 ? Math.Round(postgres * 1e6 / commits.Value, 1) : null,
            BackendScope = OwnBackends
                ? $"the run's Redis (pid {string.Join(",", RedisPids!)}) and PostgreSQL (postmaster {string.Join(",", PostgresPids!)} and its children)"
                : "every redis-server and postgres process on the machine",
        };
    }

    /// <summary>The backends' cost per message for the summary line (empty when not measured).</summary>
    public string CpuBrief() => Result.Cpu is { } c
        ? string.Create(CultureInfo.InvariantCulture, $"; CPU per notification: replicas {c.MicrosPerDelivered} us/delivered, Redis {c.RedisMicrosPerPublish?.ToString(CultureInfo.InvariantCulture) ?? "-"} us/publish, PostgreSQL {c.PostgresMicrosPerNotification?.ToString(CultureInfo.InvariantCulture) ?? "-"} us/notification, {c.PostgresMicrosPerCommit?.ToString(CultureInfo.InvariantCulture) ?? "-"} us/commit ({c.Commits?.ToString(CultureInfo.InvariantCulture) ?? "-"} commits)")
        : string.Empty;

    private static readonly string[] PostgresCommand = ["postgres"];

    /// <summary>The run's own Redis, when scripts/bench.sh started it (<c>NOTIFYPUSH_BENCH_REDIS_PID</c>).</summary>
    private static readonly int[]? RedisPids = Pids("NOTIFYPUSH_BENCH_REDIS_PID");

    /// <summary>The run's own PostgreSQL postmaster, when scripts/bench.sh started it (<c>NOTIFYPUSH_BENCH_POSTGRES_PID</c>).</summary>
    private static readonly int[]? PostgresPids = Pids("NOTIFYPUSH_BENCH_POSTGRES_PID");

    private static bool OwnBackends => RedisPids is not null && PostgresPids is not null;

    /// <summary>
    /// Redis and PostgreSQL CPU by pid: of the run's own servers when their pids are known, so that other servers on
    /// the machine are not counted; otherwise of every process by those names.
    /// </summary>
    private static Dictionary<int, double> BackendCpu() => OwnBackends
        ? ProcessStats.CpuSecondsOfTrees([.. RedisPids!, .. PostgresPids!])
        : ProcessStats.CpuSecondsByCommand(ProcessStats.BackendCommands);

    private static Dictionary<int, double> PostgresCpu() => OwnBackends
        ? ProcessStats.CpuSecondsOfTrees(PostgresPids!)
        : ProcessStats.CpuSecondsByCommand(PostgresCommand);

    private static int[]? Pids(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var pids = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .ToArray();
        return pids.Length > 0 && pids.All(p => p > 0) ? pids : null;
    }

    /// <summary>
    /// Transactions committed so far on the run's PostgreSQL (<c>pg_stat_database.xact_commit</c> over its databases,
    /// reads included: the replicas' reads are transactions too); null for SQLite, an attached run or an unreachable server.
    /// </summary>
    private async Task<long?> ReadCommitsAsync()
    {
        if (Options.Store != "postgres" || string.IsNullOrEmpty(Options.Postgres) || Options.Peer.IsPeer)
        {
            return null;
        }

        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(Options.Postgres.TrimEnd(';') + ";Pooling=false;Timeout=5");
            await connection.OpenAsync(Deadline).ConfigureAwait(false);
            await using var command = new Npgsql.NpgsqlCommand("SELECT sum(xact_commit)::bigint FROM pg_stat_database", connection);
            return (long?)await command.ExecuteScalarAsync(Deadline).ConfigureAwait(false);
        }
        catch (Npgsql.NpgsqlException)
        {
            return null;
        }
    }
}
