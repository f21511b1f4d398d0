using System.Globalization;
using NotifyPush.Bench.Load;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// (b) steady: sockets spread over the replicas, one notification at a time to random users at a fixed rate, each
/// POSTed to a replica other than the one holding the user's socket (so every delivery crosses Redis); reports
/// POST→receipt latency percentiles of the measured phase.
/// </summary>
internal static class SteadyScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        var exitCode = 0;
        for (var pass = 1; pass <= run.Options.Passes; pass++)
        {
            var (_, drained) = await RunPhaseAsync(run).ConfigureAwait(false);
            await run.SampleServersAsync().ConfigureAwait(false);
            var verify = await run.VerifyAsync(drained).ConfigureAwait(false);
            var l = run.Result.Latency!;
            var summary = string.Create(
                CultureInfo.InvariantCulture,
                $"{run.Result.Sockets.Connected} sockets on {run.Replicas.Count} replica(s), {run.Options.Rate}/s for {run.Options.DurationSeconds} s: POST->receipt p50 {l.P50Ms} ms, p90 {l.P90Ms} ms, p99 {l.P99Ms} ms, max {l.MaxMs} ms; accepted {run.Sender.AcceptedNotifications}, lost {verify.Lost}, duplicates {verify.Duplicates}; RSS {Rss(run)}");
            exitCode |= await run.FinishAsync(summary + run.CpuBrief(), connected, pass: pass).ConfigureAwait(false);
        }

        return exitCode;
    }

    /// <summary>Warm-up, then the measured phase at <c>--rate</c>; returns the measured latency and the drain time.</summary>
    internal static async Task<(LatencyHistogram Latency, double DrainSeconds)> RunPhaseAsync(BenchRun run)
    {
        var options = run.Options;
        var replicas = run.Replicas.Count;
        (int, int) Pick()
        {
            var user = Random.Shared.Next(options.Sockets);
            // The user's socket is on replica user % replicas; send through the next one.
            return ((user + 1) % replicas, user);
        }

        var maxInFlight = Math.Max(256, options.Rate);
        if (options.WarmupSeconds > 0)
        {
            await SendLoops.AtRateAsync(run.Sender, options.Rate, TimeSpan.FromSeconds(options.WarmupSeconds), Pick, maxInFlight, run.Deadline).ConfigureAwait(false);
            await run.DrainAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }

        await run.BroadcastAsync(new WorkerCommand("reset")).ConfigureAwait(false);
        run.Sender.PostLatency.Reset();
        var acceptedBefore = run.Sender.AcceptedNotifications;
        var started = DateTime.UtcNow;
        var cpu = await run.MarkCpuAsync().ConfigureAwait(false);
        await SendLoops.AtRateAsync(run.Sender, options.Rate, TimeSpan.FromSeconds(options.DurationSeconds), Pick, maxInFlight, run.Deadline).ConfigureAwait(false);
        var seconds = (DateTime.UtcNow - started).TotalSeconds;
        var drained = await run.DrainAsync(TimeSpan.FromSeconds(20)).ConfigureAwait(false);
        await run.RecordCpuAsync(cpu).ConfigureAwait(false);
        var latency = await run.CollectLatencyAsync().ConfigureAwait(false);
        run.Result.Latency = latency.Summarize();
        var accepted = run.Sender.AcceptedNotifications - acceptedBefore;
        run.Result.Sends = new SendReport
        {
            Requests = run.Sender.Requests,
            AcceptedRequests = run.Sender.AcceptedRequests,
            AcceptedNotifications = run.Sender.AcceptedNotifications,
            DurationSeconds = Math.Round(seconds, 2),
            TargetRate = options.Rate,
            AcceptedPerSecond = Math.Round(accepted / seconds, 1),
            DeliveredPerSecond = run.Result.Cpu is { WallSeconds: > 0 } c ? Math.Round(c.Delivered / c.WallSeconds, 1) : 0,
            PostP50Ms = run.Sender.PostLatency.Summarize().P50Ms,
            PostP99Ms = run.Sender.PostLatency.Summarize().P99Ms,
        };
        return (latency, drained);
    }

    internal static string Rss(BenchRun run) =>
        string.Join(" + ", run.Result.Servers.Select(s => string.Create(CultureInfo.InvariantCulture, $"{(s.Loaded?.RssKb ?? 0) / 1024.0:F0} MB")));
}
