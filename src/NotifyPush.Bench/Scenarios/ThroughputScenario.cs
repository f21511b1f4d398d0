using System.Diagnostics;
using System.Globalization;
using NotifyPush.Bench.Load;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// (c) durable throughput: <c>--concurrency</c> senders POST as fast as they are answered, each request to
/// <c>--batch</c> random users, with the Postgres store committing every notification before its 202; reports
/// notifications accepted per second and delivered per second (until the last one reached its socket).
/// </summary>
internal static class ThroughputScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        var options = run.Options;
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(120)).ConfigureAwait(false);

        var replicas = run.Replicas.Count;
        var batch = Math.Min(options.Batch, options.Sockets);
        var next = 0;
        (int, int[]) Pick()
        {
            var users = new int[batch];
            if (batch == 1)
            {
                users[0] = Random.Shared.Next(options.Sockets);
            }
            else
            {
                // A random window of distinct users.
                var first = Random.Shared.Next(options.Sockets);
                for (var i = 0; i < batch; i++)
                {
                    users[i] = (first + i) % options.Sockets;
                }
            }

            // A peer numbers a user's notifications on the node that takes the POST: keep each user on one node.
            var replica = options.Peer.IsPeer
                ? (users[0] + 1) % replicas
                : (int)((uint)Interlocked.Increment(ref next) % (uint)replicas);
            return (replica, users);
        }

        var exitCode = 0;
        for (var pass = 1; pass <= options.Passes; pass++)
        {
            exitCode |= await RunPassAsync(run, connected, batch, Pick, pass).ConfigureAwait(false);
        }

        return exitCode;
    }

    private static async Task<int> RunPassAsync(BenchRun run, bool connected, int batch, Func<(int Replica, int[] Users)> pick, int pass)
    {
        var options = run.Options;
        if (options.WarmupSeconds > 0)
        {
            await SendLoops.ClosedLoopAsync(run.Sender, options.Concurrency, TimeSpan.FromSeconds(options.WarmupSeconds), pick, run.Deadline).ConfigureAwait(false);
            await run.DrainAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        await run.BroadcastAsync(new WorkerCommand("reset")).ConfigureAwait(false);
        run.Sender.PostLatency.Reset();
        // Status lines are 200 ms apart; the reset must show before the baseline counts are read.
        await Task.Delay(400, run.Deadline).ConfigureAwait(false);
        var acceptedBefore = run.Sender.AcceptedNotifications;
        var receivedBefore = run.Sum(s => s.Received);
        var started = Stopwatch.GetTimestamp();
        var cpu = await run.MarkCpuAsync().ConfigureAwait(false);
        await SendLoops.ClosedLoopAsync(run.Sender, options.Concurrency, TimeSpan.FromSeconds(options.DurationSeconds), pick, run.Deadline).ConfigureAwait(false);
        var sendSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await run.SampleServersAsync().ConfigureAwait(false);
        var drained = await run.DrainAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        await run.RecordCpuAsync(cpu).ConfigureAwait(false);
        var accepted = run.Sender.AcceptedNotifications - acceptedBefore;
        var delivered = run.Sum(s => s.Received) - receivedBefore;
        var deliverySeconds = (run.Max(s => s.LastReceivedTimestamp) - started) / (double)Stopwatch.Frequency;
        var latency = await run.CollectLatencyAsync().ConfigureAwait(false);
        run.Result.Latency = latency.Summarize();
        var post = run.Sender.PostLatency.Summarize();
        run.Result.Sends = new SendReport
        {
            Requests = run.Sender.Requests,
            AcceptedRequests = run.Sender.AcceptedRequests,
            AcceptedNotifications = run.Sender.AcceptedNotifications,
            DurationSeconds = Math.Round(sendSeconds, 2),
            AcceptedPerSecond = Math.Round(accepted / sendSeconds, 1),
            DeliveredPerSecond = Math.Round(delivered / deliverySeconds, 1),
            PostP50Ms = post.P50Ms,
            PostP99Ms = post.P99Ms,
        };
        var verify = await run.VerifyAsync(drained).ConfigureAwait(false);
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{options.Concurrency} senders x {batch} recipient(s)/POST, {(options.Peer.IsPeer ? "no store" : options.Store + " store")}, {run.Replicas.Count} replica(s), {run.Result.Sockets.Connected} sockets: accepted {run.Result.Sends.AcceptedPerSecond:F0}/s, delivered {run.Result.Sends.DeliveredPerSecond:F0}/s (last delivery {drained:F2} s after the last 202); POST p50 {post.P50Ms} ms p99 {post.P99Ms} ms; POST->receipt p99 {run.Result.Latency.P99Ms} ms; lost {verify.Lost}, duplicates {verify.Duplicates}");
        return await run.FinishAsync(summary + run.CpuBrief(), connected, pass: pass).ConfigureAwait(false);
    }
}
