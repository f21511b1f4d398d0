using System.Globalization;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// (a) idle: N authenticated sockets on one replica, held long enough for every socket to exchange a heartbeat;
/// reports the replica's resident memory per socket: (RSS with the sockets − RSS before them) / sockets.
/// </summary>
internal static class IdleScenario
{
    public static async Task<int> RunAsync(BenchRun run)
    {
        var options = run.Options;
        await run.StartServersAsync().ConfigureAwait(false);
        await run.StartWorkersAsync().ConfigureAwait(false);
        var connected = await run.ConnectAllAsync(0, since: false, TimeSpan.FromSeconds(120)).ConfigureAwait(false);

        // Hold: with the default 25 s heartbeat every socket has had a ping and answered it within 30 s.
        await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds), run.Deadline).ConfigureAwait(false);
        await run.SampleServersAsync().ConfigureAwait(false);

        var baseline = run.Result.Servers.Sum(s => s.Baseline?.RssKb ?? 0);
        var loaded = run.Result.Servers.Sum(s => s.Loaded?.RssKb ?? 0);
        var sockets = run.Result.Servers.Sum(s => s.ReadyzConnections ?? 0);
        double? perSocket = sockets > 0 && baseline > 0 ? Math.Round((loaded - baseline) / (double)sockets, 2) : null;
        run.Result.RssPerSocketKb = perSocket;
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{sockets} sockets on {run.Replicas.Count} replica(s): RSS {baseline / 1024.0:F0} MB -> {loaded / 1024.0:F0} MB, {perSocket:F1} KB per socket; connected in {run.Result.Sockets.ConnectSeconds} s, server CPU {run.Result.Sockets.ServerMicrosPerHandshake} us per handshake");
        return await run.FinishAsync(summary, connected && perSocket is not null).ConfigureAwait(false);
    }
}
