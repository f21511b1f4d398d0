using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NotifyPush.Bench.Cli;
using NotifyPush.Bench.Load;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;
using NotifyPush.Bench.Sockets;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// One run of a scenario: the replicas (started or attached), the worker processes holding the sockets, the sender,
/// and the result being filled in. Scenarios are sequences of its steps.
/// </summary>
internal sealed partial class BenchRun : IAsyncDisposable
{
    private readonly List<ServerReplica> _replicas = [];
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<Action> _killHooks = [];
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _stopSampling = new();
    private Task? _sampling;
    private GcPauseRecorder?[] _gcPauses = [];
    private (string? Dll, IReadOnlyDictionary<string, string> Environment)? _startedWith;

    public BenchRun(BenchOptions options, CancellationToken deadline)
    {
        Options = options;
        Deadline = deadline;
        RunId = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "x" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        UserPrefix = "bench" + RunId;
        Result.Scenario = options.Scenario;
        Result.Target = options.Peer.Name;
        Result.Label = options.Label;
        Result.StartedAt = DateTimeOffset.UtcNow;
        Result.Machine.LoadAverageBefore = ProcessStats.LoadAverage();
        Result.Sockets.Requested = options.Sockets;
    }

    public BenchOptions Options { get; }

    public CancellationToken Deadline { get; }

    public string RunId { get; }

    public string UserPrefix { get; }

    public BenchResult Result { get; } = new();

    public IReadOnlyList<ServerReplica> Replicas => _replicas;

    public NotificationSender Sender { get; private set; } = null!;

    /// <summary>Registers more processes a scenario started (its own Redis, PostgreSQL), for <see cref="KillAll"/>.</summary>
    public void OnKillAll(Action kill)
    {
        lock (_killHooks)
        {
            _killHooks.Add(kill);
        }
    }

    /// <summary>Everything started by this run, for the deadline's hard stop.</summary>
    public void KillAll()
    {
        lock (_killHooks)
        {
            foreach (var kill in _killHooks)
            {
                kill();
            }
        }

        foreach (var worker in _workers)
        {
            worker.Kill();
        }

        foreach (var replica in _replicas)
        {
            replica.Kill();
        }
    }

    /// <summary>Starts enough worker processes for the sockets, users split in contiguous ranges.</summary>
    /// <param name="resume">Sockets closed by a server reconnect with <c>since</c> (the scale scenario's faults close some).</param>
    public async Task StartWorkersAsync(bool resume = false)
    {
        var count = (Options.Sockets + Options.SocketsPerWorker - 1) / Options.SocketsPerWorker;
        var eventStream = Options.Transport == "sse";
        var endpoints = _replicas.Select(r => eventStream ? r.EventStreamEndpoint : r.SocketEndpoint).ToArray();
        var protocol = eventStream ? SocketProtocol.NotifyPushEventStream : Options.Peer.Protocol;
        var first = 0;
        for (var i = 0; i < count; i++)
        {
            var size = (Options.Sockets - first) / (count - i);
            _workers.Add(await WorkerProcess.StartAsync(new WorkerConfig(
                i, UserPrefix, first, size, endpoints, Options.SigningKey, Options.Issuer, Options.Audience,
                Options.SourceAddresses, Options.ConnectConcurrency, Options.DeadlineSeconds + 30, protocol, resume)).ConfigureAwait(false));
            first += size;
        }

        Result.Sockets.Workers = count;
        await WaitForAsync(() => _workers.All(w => w.Status is not null), TimeSpan.FromSeconds(60), "workers to mint their tokens").ConfigureAwait(false);
    }

    /// <summary>
    /// Connects every socket (user i to replica (i + <paramref name="shift"/>) mod replicas), with <c>since</c> when
    /// resuming, and waits until each got its <c>synced</c> frame. Returns false when some did not within the time.
    /// </summary>
    public async Task<bool> ConnectAllAsync(int shift, bool since, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var cpuBefore = _replicas.Select(r => r.CpuSeconds()).ToArray();
        await BroadcastAsync(new WorkerCommand("connect", shift, since)).ConfigureAwait(false);
        await WaitForAsync(() => _workers.All(w => w.Status is { ConnectDone: true } s && s.PhaseStartedTimestamp >= started), timeout, "handshakes").ConfigureAwait(false);
        var synced = await WaitForAsync(() => Sum(s => s.PhaseSynced) >= Sum(s => s.Open) && Sum(s => s.Open) + Sum(s => s.ConnectFailures) >= Options.Sockets, timeout, "synced frames").ConfigureAwait(false);
        var cpuAfter = _replicas.Select(r => r.CpuSeconds()).ToArray();
        Result.Sockets.ConnectSeconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2);
        Result.Sockets.Connected = Sum(s => s.Open);
        if (Result.Sockets.Connected > 0 && cpuBefore.Concat(cpuAfter).All(c => c is not null))
        {
            var cpu = cpuAfter.Sum(c => c!.Value) - cpuBefore.Sum(c => c!.Value);
            Result.Sockets.ServerMicrosPerHandshake = Math.Round(cpu * 1_000_000 / Result.Sockets.Connected);
        }

        Result.Sockets.Synced = Sum(s => s.PhaseSynced);
        Console.Error.WriteLine($"bench: {Result.Sockets.Connected} sockets open, {Result.Sockets.Synced} synced in {Result.Sockets.ConnectSeconds} s");
        return synced && Result.Sockets.Connected == Options.Sockets;
    }

    public async Task BroadcastAsync(WorkerCommand command)
    {
        foreach (var worker in _workers)
        {
            await worker.SendAsync(command).ConfigureAwait(false);
        }
    }

    /// <summary>The sum of one counter over the workers' latest status lines.</summary>
    public long Sum(Func<WorkerStatus, long> counter) => _workers.Sum(w => w.Status is { } s ? counter(s) : 0);

    public long Max(Func<WorkerStatus, long> counter) => _workers.Count == 0 ? 0 : _workers.Max(w => w.Status is { } s ? counter(s) : 0);

    public long Min(Func<WorkerStatus, long> counter) => _workers.Count == 0 ? 0 : _workers.Min(w => w.Status is { } s ? counter(s) : long.MaxValue);

    /// <summary>Polls <paramref name="condition"/> every 50 ms; false when it did not hold within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                Result.Notes.Add($"gave up waiting for {what} after {timeout.TotalSeconds} s");
                Console.Error.WriteLine($"bench: gave up waiting for {what} after {timeout.TotalSeconds} s");
                return false;
            }

            await Task.Delay(50, Deadline).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Waits until the sockets received at least as many notifications as were accepted; returns seconds after the last 202.</summary>
    public async Task<double> DrainAsync(TimeSpan timeout)
    {
        await WaitForAsync(() => Sum(s => s.Received) - Sum(s => s.Duplicates) >= Sender.AcceptedNotifications, timeout, "deliveries").ConfigureAwait(false);
        // Status lines are 200 ms apart: wait for one taken after the last receipt.
        await Task.Delay(400, Deadline).ConfigureAwait(false);
        return Math.Max(0, (Max(s => s.LastReceivedTimestamp) - Sender.LastAcceptedTimestamp) / (double)Stopwatch.Frequency);
    }

    /// <summary>Merges the workers' latency histograms and errors into the result.</summary>
    public async Task<LatencyHistogram> CollectLatencyAsync()
    {
        var merged = new LatencyHistogram();
        foreach (var worker in _workers)
        {
            var report = await worker.ReportAsync(Deadline).ConfigureAwait(false);
            merged.Merge(report.Latency);
        }

        return merged;
    }

    /// <summary>Checks every user's last seq against what the sender was given; fills <see cref="BenchResult.Deliveries"/>.</summary>
    public async Task<VerifyResult> VerifyAsync(double drainSeconds)
    {
        long lost = 0, behind = 0, duplicates = 0, gaps = 0;
        foreach (var worker in _workers)
        {
            var expected = Sender.LastSeq.AsSpan(worker.Config.FirstUser, worker.Config.UserCount).ToArray();
            var result = await worker.VerifyAsync(expected, Deadline).ConfigureAwait(false);
            lost += result.Lost;
            behind += result.UsersBehind;
            duplicates += result.Duplicates;
            gaps += result.Gaps;
        }

        Result.Deliveries = new DeliveryReport
        {
            Expected = Sender.LastSeq.Sum(),
            Received = Sum(s => s.Received) - Sum(s => s.Duplicates),
            Lost = lost,
            Duplicates = duplicates,
            DrainSeconds = Math.Round(drainSeconds, 3),
        };
        if (behind > 0)
        {
            Result.Notes.Add($"{behind} users were behind their last seq at the end");
        }

        return new VerifyResult(lost, behind, duplicates, gaps);
    }

    // Errors already reported by an earlier pass (--passes).
    private SortedDictionary<string, long> _errorsReported = new(StringComparer.Ordinal);

    /// <summary>Completes the result: errors of all sides, peaks, the verdict; writes the JSON and prints the summary line.</summary>
    /// <param name="summary">The scenario's part of the summary line.</param>
    /// <param name="extraOk">The scenario's own verdict (e.g. every socket connected).</param>
    /// <param name="errorsFail">
    /// Whether any error fails the run; the scale scenario counts sockets closed during a failover and 503s as what a
    /// failover does, and judges by what was delivered instead.
    /// </param>
    /// <param name="pass">
    /// With <c>--passes</c> above 1, from a scenario that runs passes (steady, throughput): the pass this result is of,
    /// written to a file of its own. Other scenarios run once and pass nothing.
    /// </param>
    public async Task<int> FinishAsync(string summary, bool extraOk = true, bool errorsFail = true, int? pass = null)
    {
        if (Options.Passes > 1 && pass is not null)
        {
            Result.Pass = pass;
            Result.Passes = Options.Passes;
            summary = string.Create(CultureInfo.InvariantCulture, $"pass {Result.Pass} of {Options.Passes}: {summary}");
        }

        var errors = new ErrorCounts();
        foreach (var worker in _workers)
        {
            var report = await worker.ReportAsync(Deadline).ConfigureAwait(false);
            errors.Merge(report.Errors);
        }

        if (Sender is not null)
        {
            errors.Merge(Sender.Errors.Snapshot());
        }

        // The workers' and the sender's counts are the run's so far: a later pass reports only what happened since
        // the pass before it.
        var total = errors.Snapshot();
        errors = new ErrorCounts();
        foreach (var (kind, count) in total)
        {
            var since = count - _errorsReported.GetValueOrDefault(kind);
            if (since > 0)
            {
                errors.Add(kind, since);
            }
        }

        _errorsReported = total;
        Result.Errors = errors.Snapshot();
        for (var i = 0; i < _replicas.Count && i < Result.Servers.Count; i++)
        {
            Result.Servers[i].PeakRssKb = _replicas[i].PeakRssKb;
        }

        var delivered = Result.Deliveries is null || (Result.Deliveries.Lost == 0 && Result.Deliveries.Duplicates == 0);
        Result.Ok = extraOk && (!errorsFail || errors.Total == 0) && delivered && Result.Sockets.Connected == Options.Sockets;
        Result.ElapsedSeconds = Math.Round(_elapsed.Elapsed.TotalSeconds, 1);
        Result.Machine.LoadAverageAfter = ProcessStats.LoadAverage();
        Result.Settings = Settings();
        var errorText = errors.Total == 0 ? "errors 0" : "errors " + string.Join(",", Result.Errors.Select(e => $"{e.Key}={e.Value}"));
        Result.Summary = $"{Title()}: {summary}; {errorText}; {(Result.Ok ? "OK" : "FAILED")}";

        Directory.CreateDirectory(Options.OutputDirectory);
        var path = ResultPath();
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(Result, BenchResult.Json), CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine(Result.Summary);
        Console.WriteLine($"result: {path}");
        return Result.Ok ? 0 : 1;
    }

    private string ResultPath() =>
        Path.Combine(Options.OutputDirectory, $"{Options.Scenario}-{(Options.Peer.IsPeer ? Options.Peer.Name + "-" : "")}{(Options.Label is null ? "" : Options.Label + "-")}{(Result.Pass is { } pass ? $"pass{pass}-" : "")}{RunId}.json");

    /// <summary>
    /// Writes what was measured so far as a failed result, without asking the workers (they may be what hangs): for a
    /// run stopped by its deadline or by a server that did not start.
    /// </summary>
    public async Task WriteFailedAsync(string reason)
    {
        Result.Ok = false;
        Result.Notes.Add(reason);
        Result.ElapsedSeconds = Math.Round(_elapsed.Elapsed.TotalSeconds, 1);
        Result.Machine.LoadAverageAfter = ProcessStats.LoadAverage();
        Result.Settings = Settings();
        Result.Summary = $"{Title()}: {reason}; FAILED";
        Directory.CreateDirectory(Options.OutputDirectory);
        var path = ResultPath();
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(Result, BenchResult.Json), CancellationToken.None).ConfigureAwait(false);
        Console.WriteLine(Result.Summary);
        Console.WriteLine($"result: {path}");
    }

    /// <summary>The summary's head: scenario, the peer when one is measured, the label.</summary>
    private string Title() =>
        $"{Options.Scenario}{(Options.Peer.IsPeer ? $" --peer {Options.Peer.Name}" : "")}{(Options.Label is null ? "" : $" [{Options.Label}]")}";

    private Dictionary<string, object?> Settings() => new(StringComparer.Ordinal)
    {
        ["sockets"] = Options.Sockets,
        ["replicas"] = _replicas.Count,
        ["rate"] = Options.Rate,
        ["durationSeconds"] = Options.DurationSeconds,
        ["warmupSeconds"] = Options.WarmupSeconds,
        ["concurrency"] = Options.Concurrency,
        ["batch"] = Options.Batch,
        ["rounds"] = Options.Rounds,
        ["store"] = Options.Store,
        ["backplane"] = Options.Backplane,
        ["socketsPerWorker"] = Options.SocketsPerWorker,
        ["sourceAddresses"] = Options.SourceAddresses,
        ["connectConcurrency"] = Options.ConnectConcurrency,
        ["attached"] = Options.Targets.Count > 0,
        ["target"] = Options.Peer.Name,
        ["transport"] = Options.Transport,
    };

    private void DisposeGcPauses()
    {
        foreach (var recorder in _gcPauses)
        {
            recorder?.Dispose();
        }

        _gcPauses = [];
    }

    public async ValueTask DisposeAsync()
    {
        await _stopSampling.CancelAsync().ConfigureAwait(false);
        DisposeGcPauses();
        foreach (var worker in _workers)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
        }

        if (_sampling is not null)
        {
            await Task.WhenAny(_sampling, Task.Delay(1000)).ConfigureAwait(false);
        }

        Sender?.Dispose();
        _http.Dispose();
        _stopSampling.Dispose();
    }
}
