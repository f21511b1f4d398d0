using System.Diagnostics;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// Cuts the scale scenario's load into phases: at the start of one it resets the workers' latency histograms and
/// reads the CPU of the replicas, of the run's own redis-server processes and of its PostgreSQL servers; at the end
/// it collects the latency and the differences into a <see cref="ScalePhaseReport"/>.
/// </summary>
internal sealed class ScalePhaseRecorder(BenchRun run, IRedisTopology redis, PostgresStandbyPair postgres, long loadStartedTimestamp)
{
    private readonly LatencyHistogram _overall = new();
    private Mark? _mark;

    /// <summary>Where the POST answers are counted now; swapped at each phase.</summary>
    public StatusCounts Current { get; private set; } = new(Stopwatch.GetTimestamp());

    /// <summary>Every phase's latency together.</summary>
    public LatencyHistogram Overall => _overall;

    public async Task StartAsync(string name, long startedTimestamp)
    {
        await run.BroadcastAsync(new WorkerCommand("reset")).ConfigureAwait(false);
        Current = new StatusCounts(startedTimestamp);
        _mark = new Mark(
            name,
            startedTimestamp,
            run.Replicas.Sum(r => r.CpuSeconds() ?? 0),
            ProcessStats.CpuSecondsOfTrees(redis.ServerPids),
            ProcessStats.CpuSecondsOfTrees(postgres.PostmasterPids),
            run.Sum(s => s.Received),
            run.Sum(s => s.Resumes));
    }

    public async Task<ScalePhaseReport> EndAsync(string? fault = null)
    {
        var mark = _mark ?? throw new InvalidOperationException("No phase was started.");
        var latency = await run.CollectLatencyAsync().ConfigureAwait(false);
        _overall.Merge(latency.Snapshot());
        var counts = Current;
        var other = counts.Other.Snapshot();
        return new ScalePhaseReport
        {
            Name = mark.Name,
            Fault = fault,
            StartSeconds = Math.Round((mark.Timestamp - loadStartedTimestamp) / (double)Stopwatch.Frequency, 2),
            DurationSeconds = Math.Round(Stopwatch.GetElapsedTime(mark.Timestamp).TotalSeconds, 2),
            Posts202 = counts.Accepted,
            Posts503 = counts.Unavailable,
            PostsOther = other,
            Latency = latency.Count > 0 ? latency.Summarize() : null,
            FaultToFirst202Seconds = fault is not null && counts.FirstAcceptedTimestamp > 0 ? Seconds(mark.Timestamp, counts.FirstAcceptedTimestamp) : null,
            FaultToLast503Seconds = fault is not null && counts.LastUnavailableTimestamp > 0 ? Seconds(mark.Timestamp, counts.LastUnavailableTimestamp) : null,
            Resumes = run.Sum(s => s.Resumes) - mark.Resumes,
            ReplicaCpuSeconds = Math.Round(run.Replicas.Sum(r => r.CpuSeconds() ?? 0) - mark.ReplicaCpu, 2),
            RedisCpuSeconds = Math.Round(ProcessStats.CpuSecondsBetween(mark.RedisCpu, ProcessStats.CpuSecondsOfTrees(redis.ServerPids)), 2),
            PostgresCpuSeconds = Math.Round(ProcessStats.CpuSecondsBetween(mark.PostgresCpu, ProcessStats.CpuSecondsOfTrees(postgres.PostmasterPids)), 2),
            Delivered = run.Sum(s => s.Received) - mark.Received,
        };
    }

    public static double Seconds(long from, long to) => Math.Round((to - from) / (double)Stopwatch.Frequency, 2);

    private sealed record Mark(string Name, long Timestamp, double ReplicaCpu, Dictionary<int, double> RedisCpu, Dictionary<int, double> PostgresCpu, long Received, long Resumes);
}
