using System.Globalization;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// A few sockets for a few seconds through every phase of the other scenarios: connect, steady sends across
/// replicas, a fan-out and a drop-and-resume. For CI, so the tool does not rot; it checks correctness, not timing.
/// </summary>
internal static class SmokeScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        await SteadyScenario.RunPhaseAsync(run).ConfigureAwait(false);
        run.Result.FanOut = [await FanOutScenario.RoundAsync(run).ConfigureAwait(false)];
        var storm = await StormScenario.StormAsync(run).ConfigureAwait(false);
        await run.SampleServersAsync().ConfigureAwait(false);
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{run.Result.Sockets.Connected} sockets on {run.Replicas.Count} replica(s): {run.Sender.AcceptedNotifications} notifications accepted, resumed {storm.Synced} sockets, lost {storm.Lost}, duplicates {storm.Duplicates}");
        return await run.FinishAsync(summary, connected && storm.Synced == storm.Sockets).ConfigureAwait(false);
    }
}
