using System.Diagnostics;
using System.Globalization;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// scale: the failover scenario of docs/scaling.md. Starts its own Redis (a 3-master + 3-replica Redis Cluster, or a
/// Sentinel-monitored master and replica), a PostgreSQL primary with a synchronous standby, and the replicas on them
/// (cluster backplane mode, multi-host connection string); holds the sockets (each reconnects with <c>since</c> when a
/// replica closes it) under steady sends (each retried with its key after a 503, as a service would), and runs the
/// faults in turn: a Redis master SIGKILLed (its replica promotes), then the PostgreSQL primary killed and the standby
/// promoted. Reports each phase (before, around each fault, after) and checks every socket ended with exactly the
/// notifications that got 202.
/// </summary>
internal static class ScaleScenario
{
    /// <summary>How long a send is retried before the sender gives up on it (a real service would queue it).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(60);

    /// <summary>The time between the PostgreSQL primary's death and the promotion (an operator's or Patroni's decision).</summary>
    private static readonly TimeSpan PromotionDelay = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(BenchRun run)
    {
        var options = run.Options;
        Console.Error.WriteLine($"bench: starting Redis ({options.RedisTopology}) and a PostgreSQL primary with a synchronous standby");
        IRedisTopology redis = options.RedisTopology == "sentinel"
            ? await RedisSentinelNodes.StartAsync(run.Deadline).ConfigureAwait(false)
            : await RedisClusterNodes.StartAsync(run.Deadline).ConfigureAwait(false);
        await using var redisScope = redis.ConfigureAwait(false);
        run.OnKillAll(redis.KillAll);
        var postgres = await PostgresStandbyPair.StartAsync(run.Deadline).ConfigureAwait(false);
        await using var postgresScope = postgres.ConfigureAwait(false);
        run.OnKillAll(postgres.KillAll);

        options.Redis = redis.Configuration;
        options.Postgres = postgres.ConnectionString;
        await run.StartServersAsync(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["NotifyPush__Backplane__Mode"] = redis.Mode,
        }).ConfigureAwait(false);
        await run.StartWorkersAsync(resume: true).ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(180)).ConfigureAwait(false);

        var loadStarted = Stopwatch.GetTimestamp();
        var phases = new ScalePhaseRecorder(run, redis, postgres, loadStarted);
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(run.Deadline);
        var load = SendAsync(run, () => phases.Current, stopLoad.Token);
        var report = new ScaleReport
        {
            Redis = redis.Name,
            // --server-env may set the mode (Standalone on a cluster measures plain pub/sub against sharded).
            BackplaneMode = options.ServerEnvironment.GetValueOrDefault("NotifyPush__Backplane__Mode", redis.Mode),
            Faults = [.. options.Faults],
            SettleSeconds = options.SettleSeconds,
        };
        run.Result.Scale = report;
        var settle = TimeSpan.FromSeconds(options.SettleSeconds);

        // Warm-up: unmeasured sends, so the first phase does not measure the JIT.
        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds), run.Deadline).ConfigureAwait(false);
        await phases.StartAsync("before", Stopwatch.GetTimestamp()).ConfigureAwait(false);
        await Task.Delay(settle, run.Deadline).ConfigureAwait(false);
        report.Phases.Add(await phases.EndAsync().ConfigureAwait(false));

        foreach (var fault in options.Faults)
        {
            var name = fault == "redis" ? (redis.Name == "cluster" ? "redis-cluster-master-kill" : "redis-sentinel-master-kill") : "postgres-failover";
            Console.Error.WriteLine($"bench: fault {name}");
            var killed = Stopwatch.GetTimestamp();
            await phases.StartAsync(name, killed).ConfigureAwait(false);
            using var watch = CancellationTokenSource.CreateLinkedTokenSource(run.Deadline);
            var firstDelivery = WatchFirstDeliveryAsync(run, killed, watch.Token);
            var (description, promoted) = fault == "redis"
                ? await redis.KillMasterAsync(run.Deadline).ConfigureAwait(false)
                : await postgres.FailOverAsync(PromotionDelay, run.Deadline).ConfigureAwait(false);
            Console.Error.WriteLine($"bench: {description}; promoted {ScalePhaseRecorder.Seconds(killed, promoted)} s after the kill");
            await Task.Delay(settle, run.Deadline).ConfigureAwait(false);
            await watch.CancelAsync().ConfigureAwait(false);
            var phase = await phases.EndAsync(description).ConfigureAwait(false);
            phase.FaultToPromotedSeconds = ScalePhaseRecorder.Seconds(killed, promoted);
            phase.FaultToFirstDeliverySeconds = await firstDelivery.ConfigureAwait(false) is { } delivered ? ScalePhaseRecorder.Seconds(killed, delivered) : null;
            report.Phases.Add(phase);
        }

        await phases.StartAsync("after", Stopwatch.GetTimestamp()).ConfigureAwait(false);
        await Task.Delay(settle, run.Deadline).ConfigureAwait(false);
        await stopLoad.CancelAsync().ConfigureAwait(false);
        await load.ConfigureAwait(false);
        var drained = await run.DrainAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        report.Phases.Add(await phases.EndAsync().ConfigureAwait(false));

        run.Result.Latency = phases.Overall.Summarize();
        var verify = await run.VerifyAsync(drained).ConfigureAwait(false);
        report.Lost = verify.Lost;
        report.Duplicated = verify.Duplicates;
        report.OutOfOrder = verify.Gaps;
        report.SocketsBehind = verify.UsersBehind;
        report.GaveUp = run.Sender.Requests - run.Sender.AcceptedRequests;
        report.OpenAtEnd = run.Sum(s => s.Open);
        run.Result.Sends = new SendReport
        {
            Requests = run.Sender.Requests,
            AcceptedRequests = run.Sender.AcceptedRequests,
            AcceptedNotifications = run.Sender.AcceptedNotifications,
            DurationSeconds = ScalePhaseRecorder.Seconds(loadStarted, Stopwatch.GetTimestamp()),
            TargetRate = options.Rate,
            PostP50Ms = run.Sender.PostLatency.Summarize().P50Ms,
            PostP99Ms = run.Sender.PostLatency.Summarize().P99Ms,
        };
        await run.SampleServersAsync().ConfigureAwait(false);

        var table = ScaleTable.Markdown(run.Result, report);
        await ScaleTable.WriteAsync(run, table).ConfigureAwait(false);
        Console.Error.WriteLine(table);
        var no500 = report.Phases.All(p => !p.PostsOther.ContainsKey("500"));
        var exact = report.Lost == 0 && report.Duplicated == 0 && report.OutOfOrder == 0;
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{run.Result.Sockets.Connected} sockets on {run.Replicas.Count} replicas, Redis {redis.Name}, PostgreSQL primary + synchronous standby, {options.Rate}/s; {string.Join("; ", report.Phases.Select(ScaleTable.Brief))}; accepted {run.Sender.AcceptedNotifications}, gave up {report.GaveUp}; lost {report.Lost}, duplicated {report.Duplicated}, out of order {report.OutOfOrder}");
        return await run.FinishAsync(summary, connected && exact && no500 && report.OpenAtEnd == options.Sockets, errorsFail: false).ConfigureAwait(false);
    }

    /// <summary>Open-loop sends at <c>--rate</c> to random users, each through a replica other than the user's socket's, until stopped; then waits for the sends still retrying.</summary>
    private static async Task SendAsync(BenchRun run, Func<StatusCounts> phase, CancellationToken stop)
    {
        var options = run.Options;
        var replicas = run.Replicas.Count;
        // Sends retrying through an outage stay in flight: room for the rate times the retry window's first part.
        var maxInFlight = Math.Max(1_000, options.Rate * 20);
        var ticksPerSend = Stopwatch.Frequency / (double)options.Rate;
        var start = Stopwatch.GetTimestamp();
        long started = 0;
        var sends = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var due = (long)((Stopwatch.GetTimestamp() - start) / ticksPerSend) + 1;
                for (; started < due; started++)
                {
                    if (run.Sender.InFlight >= maxInFlight)
                    {
                        run.Sender.Errors.Add("client:overload");
                        continue;
                    }

                    var user = Random.Shared.Next(options.Sockets);
                    // The send outlives the load's stop: it is retried until answered or given up.
                    sends.Add(run.Sender.SendRetryingAsync((user + 1) % replicas, user, GiveUpAfter, phase, run.Deadline));
                }

                sends.RemoveAll(t => t.IsCompleted);
                await Task.Delay(1, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The load's end.
        }

        await Task.WhenAll(sends).ConfigureAwait(false);
    }

    /// <summary>Polls the workers until one received a notification sent after <paramref name="fault"/>; the time it was seen, or null.</summary>
    private static async Task<long?> WatchFirstDeliveryAsync(BenchRun run, long fault, CancellationToken cancellationToken)
    {
        try
        {
            while (run.Max(s => s.NewestSentReceived) <= fault)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }

            return Stopwatch.GetTimestamp();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
