using System.Diagnostics;
using System.Globalization;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// (d) fan-out: one POST with every connected user in <c>userIds</c>, <c>--rounds</c> times; reports the time from
/// just before the POST to the last socket's receipt, per round and as the median.
/// </summary>
internal static class FanOutScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        // Unmeasured fan-outs first, so the measured ones do not pay for the JIT's first compilations.
        var warmupEnds = DateTime.UtcNow.AddSeconds(run.Options.WarmupSeconds);
        var warmups = 0;
        while (run.Options.WarmupSeconds > 0 && (warmups == 0 || DateTime.UtcNow < warmupEnds))
        {
            await RoundAsync(run).ConfigureAwait(false);
            warmups++;
        }

        run.Result.Notes.Add($"{warmups} unmeasured warm-up fan-outs");
        run.Result.FanOut = [];
        for (var round = 0; round < run.Options.Rounds; round++)
        {
            run.Result.FanOut.Add(await RoundAsync(run).ConfigureAwait(false));
            await Task.Delay(1000, run.Deadline).ConfigureAwait(false);
        }

        await run.SampleServersAsync().ConfigureAwait(false);
        var verify = await run.VerifyAsync(0).ConfigureAwait(false);
        var last = run.Result.FanOut.Select(r => r.LastDeliveryMs).Order().ToArray();
        var median = last[last.Length / 2];
        run.Result.Latency = new LatencySummary(last.Length, median, 0, 0, 0, last[^1], last.Average());
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{run.Options.Rounds} POSTs to {run.Options.Sockets} users on {run.Replicas.Count} replica(s): last delivery median {median:F0} ms (rounds: {string.Join(", ", last.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))} ms), POST answered in {run.Result.FanOut.Select(r => r.PostMs).Order().ElementAt(last.Length / 2):F0} ms; lost {verify.Lost}, duplicates {verify.Duplicates}; RSS {SteadyScenario.Rss(run)}");
        return await run.FinishAsync(summary, connected).ConfigureAwait(false);
    }

    /// <summary>One fan-out POST to every user; waits for every delivery and returns the round's figures.</summary>
    internal static async Task<FanOutRound> RoundAsync(BenchRun run)
    {
        var users = Enumerable.Range(0, run.Options.Sockets).ToArray();
        await run.BroadcastAsync(new WorkerCommand("reset")).ConfigureAwait(false);
        await Task.Delay(400, run.Deadline).ConfigureAwait(false);
        var before = run.Sum(s => s.Received);
        var started = Stopwatch.GetTimestamp();
        var accepted = await run.Sender.SendAsync(0, users, run.Deadline).ConfigureAwait(false);
        var postMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (accepted)
        {
            await run.WaitForAsync(() => run.Sum(s => s.Received) - before >= users.Length, TimeSpan.FromSeconds(30), "fan-out deliveries").ConfigureAwait(false);
        }

        var latency = (await run.CollectLatencyAsync().ConfigureAwait(false)).Summarize();
        return new FanOutRound
        {
            Recipients = users.Length,
            PostMs = Math.Round(postMs, 1),
            LastDeliveryMs = latency.MaxMs,
            P50Ms = latency.P50Ms,
            P99Ms = latency.P99Ms,
            Received = latency.Count,
        };
    }
}
