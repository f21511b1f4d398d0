using NotifyPush.Bench.Cli;
using NotifyPush.Bench.Reporting;
using NotifyPush.Bench.Scenarios;
using NotifyPush.Bench.Sockets;

if (args is ["worker", ..])
{
    return await WorkerHost.RunAsync();
}

if (args is ["heap", ..])
{
    return HeapCommand.Run(args);
}

if (args is ["gc", ..])
{
    return GcPausesCommand.Run(args);
}

if (args is ["allocs", ..])
{
    return AllocationsCommand.Run(args);
}

if (args is ["position-check", ..])
{
    return await PositionCheckCommand.RunAsync(args);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

if (options.Scenario == "plot")
{
    return PlotCommand.Run(options);
}

if (options.Scenario == "table")
{
    return TableCommand.Run(options);
}

using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(options.DeadlineSeconds));
var run = new BenchRun(options, deadline.Token);

// The hard stop: whatever hangs, 20 s after the deadline every child is killed and the process exits.
using var watchdog = deadline.Token.Register(() => _ = Task.Delay(TimeSpan.FromSeconds(20)).ContinueWith(_ =>
{
    Console.Error.WriteLine($"bench: still running 20 s after the {options.DeadlineSeconds} s deadline; killing everything");
    run.KillAll();
    Environment.Exit(3);
}, TaskScheduler.Default));
AppDomain.CurrentDomain.ProcessExit += (_, _) => run.KillAll();
Console.CancelKeyPress += (_, _) => run.KillAll();

try
{
    return options.Scenario switch
    {
        "idle" => await IdleScenario.RunAsync(run),
        "steady" => await SteadyScenario.RunAsync(run),
        "throughput" => await ThroughputScenario.RunAsync(run),
        "fanout" => await FanOutScenario.RunAsync(run),
        "storm" => await StormScenario.RunAsync(run),
        "smoke" => await SmokeScenario.RunAsync(run),
        "scale" => await ScaleScenario.RunAsync(run),
        _ => 2,
    };
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    run.KillAll();
    await run.WriteFailedAsync($"did not finish within the {options.DeadlineSeconds} s deadline");
    return 3;
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}");
    run.KillAll();
    await run.WriteFailedAsync(ex.Message.Split('\n')[0]);
    return 2;
}
finally
{
    await run.DisposeAsync();
}
