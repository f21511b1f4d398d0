using System.Diagnostics;
using System.Globalization;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// (e) reconnect storm: every socket gets a live notification, then all are dropped at once (no close handshake);
/// while they are away each user is sent <c>--rounds</c> more; then every client reconnects at the same moment with
/// <c>since</c> = the last seq it saw, to the next replica (as after losing its replica). Reports the time until all
/// are synced and every missed notification arrived, the replicas' CPU per handshake, and what was lost or duplicated.
/// With <c>--restart yes</c> the replicas are restarted while the sockets are away, as in a deploy.
/// </summary>
internal static class StormScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
        var storm = await StormAsync(run).ConfigureAwait(false);
        await run.SampleServersAsync().ConfigureAwait(false);
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{storm.Sockets} sockets dropped and resumed with since on {run.Replicas.Count} {(storm.RestartedServers ? $"just restarted replica(s) (restart took {storm.RestartSeconds:F1} s)" : "replica(s)")}, {storm.MissedPerUser} missed each: all connected in {storm.AllConnectedSeconds:F2} s, all synced in {storm.AllSyncedSeconds:F2} s; replica CPU {storm.ReplicaMicrosPerResume} us per resume (handshake + replay), with Redis and PostgreSQL {storm.AllMicrosPerResume} us; lost {storm.Lost}, duplicates {storm.Duplicates}; RSS peak {string.Join(" + ", run.Replicas.Select(r => (r.PeakRssKb / 1024).ToString(CultureInfo.InvariantCulture) + " MB"))}");
        return await run.FinishAsync(summary, connected && storm.Synced == storm.Sockets).ConfigureAwait(false);
    }

    /// <summary>The storm itself, on sockets that are connected; fills <see cref="BenchResult.Storm"/>.</summary>
    internal static async Task<StormReport> StormAsync(BenchRun run)
    {
        var users = Enumerable.Range(0, run.Options.Sockets).ToArray();
        var missed = run.Options.Rounds;

        // One live notification each, so every socket has a resume point that is not 0.
        await run.Sender.SendAsync(0, users, run.Deadline).ConfigureAwait(false);
        await run.DrainAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        await run.BroadcastAsync(new WorkerCommand("drop")).ConfigureAwait(false);
        await run.WaitForAsync(() => run.Sum(s => s.Open) == 0, TimeSpan.FromSeconds(30), "client sockets to drop").ConfigureAwait(false);
        var serversEmpty = false;
        for (var i = 0; i < 300 && !serversEmpty; i++)
        {
            serversEmpty = (await run.ReadConnectionsAsync().ConfigureAwait(false)).All(c => c == 0);
            if (!serversEmpty)
            {
                await Task.Delay(100, run.Deadline).ConfigureAwait(false);
            }
        }

        for (var round = 0; round < missed; round++)
        {
            await run.Sender.SendAsync(round % run.Replicas.Count, users, run.Deadline).ConfigureAwait(false);
        }

        // A deploy: the sockets come back to processes that just started (no JIT-warm code, empty pools).
        double? restartSeconds = null;
        if (run.Options.RestartServers)
        {
            restartSeconds = await run.RestartServersAsync().ConfigureAwait(false);
        }

        // Everyone at once, each to the next replica.
        var started = Stopwatch.GetTimestamp();
        var receivedBefore = run.Sum(s => s.Received);
        var cpu = await run.MarkCpuAsync().ConfigureAwait(false);
        await run.BroadcastAsync(new WorkerCommand("connect", Shift: 1, Since: true)).ConfigureAwait(false);
        await run.WaitForAsync(() => run.Min(s => s.PhaseStartedTimestamp) >= started && run.Sum(s => s.PhaseSynced) >= users.Length, TimeSpan.FromSeconds(90), "resumed sockets to sync").ConfigureAwait(false);
        await run.WaitForAsync(() => run.Sum(s => s.Received) - receivedBefore >= (long)users.Length * missed, TimeSpan.FromSeconds(30), "missed notifications").ConfigureAwait(false);
        await Task.Delay(400, run.Deadline).ConfigureAwait(false);
        await run.RecordCpuAsync(cpu).ConfigureAwait(false);

        var verify = await run.VerifyAsync(0).ConfigureAwait(false);
        var report = new StormReport
        {
            RestartedServers = run.Options.RestartServers,
            RestartSeconds = restartSeconds is { } r ? Math.Round(r, 2) : null,
            Sockets = users.Length,
            MissedPerUser = missed,
            AllSyncedSeconds = Math.Round((Math.Max(run.Max(s => s.LastSyncedTimestamp), run.Max(s => s.LastReceivedTimestamp)) - started) / (double)Stopwatch.Frequency, 3),
            AllConnectedSeconds = Math.Round((run.Max(s => s.PhaseConnectedTimestamp) - started) / (double)Stopwatch.Frequency, 3),
            Synced = run.Sum(s => s.PhaseSynced),
            Lost = verify.Lost,
            Duplicates = verify.Duplicates,
            ReplicaMicrosPerResume = run.Result.Cpu is { } c ? Math.Round(c.ServerCpuSeconds * 1e6 / users.Length, 1) : null,
            AllMicrosPerResume = run.Result.Cpu is { } all ? Math.Round((all.ServerCpuSeconds + all.BackendCpuSeconds) * 1e6 / users.Length, 1) : null,
        };
        run.Result.Storm = report;
        run.Result.Sockets.Connected = run.Sum(s => s.Open);
        run.Result.Latency = (await run.CollectLatencyAsync().ConfigureAwait(false)).Summarize();
        if (!serversEmpty)
        {
            run.Result.Notes.Add("the replicas still reported open sockets 30 s after the drop");
        }

        return report;
    }
}
