using System.Globalization;
using System.Text.Json;
using NotifyPush.Bench.Cli;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>plot</c>: draws how cost grows from JSON results: server RSS and RSS per socket against sockets (idle runs),
/// latency percentiles against rate (steady runs) and accepted notifications per second against recipients per POST
/// (throughput runs). Runs of the same setting are reduced to their median.
/// </summary>
internal static class PlotCommand
{
    public static int Run(BenchOptions options)
    {
        var results = new List<BenchResult>();
        foreach (var input in options.Inputs)
        {
            var files = Directory.Exists(input) ? Directory.GetFiles(input, "*.json") : [input];
            foreach (var file in files)
            {
                var result = JsonSerializer.Deserialize<BenchResult>(File.ReadAllText(file), BenchResult.Json);
                if (result is not null && result.Ok)
                {
                    results.Add(result);
                }
            }
        }

        var panels = new List<SvgChart.Panel>();
        var idle = results.Where(r => r.Scenario == "idle" && r.Label is null or "" && r.Target == "notifypush" && r.RssPerSocketKb is not null)
            .GroupBy(r => r.Sockets.Requested).OrderBy(g => g.Key).ToArray();
        if (idle.Length > 0)
        {
            panels.Add(new SvgChart.Panel(
                "Idle: server RSS (one replica)", "authenticated sockets", "MB",
                [new SvgChart.Series("RSS", "#1f77b4", idle.Select(g => (g.Key * 1.0, Median(g.Select(r => r.Servers.Sum(s => s.Loaded?.RssKb ?? 0) / 1024.0)))).ToArray())]));
            panels.Add(new SvgChart.Panel(
                "Idle: RSS per socket", "authenticated sockets", "KB per socket",
                [new SvgChart.Series("KB/socket", "#ff7f0e", idle.Select(g => (g.Key * 1.0, Median(g.Select(r => r.RssPerSocketKb!.Value)))).ToArray())]));
        }

        var steady = results.Where(r => r.Scenario == "steady" && r.Label is null or "" && r.Target == "notifypush" && r.Latency is not null)
            .GroupBy(r => r.Sends?.TargetRate ?? 0).OrderBy(g => g.Key).ToArray();
        if (steady.Length > 0)
        {
            panels.Add(new SvgChart.Panel(
                "Steady: POST→receipt latency (10,000 sockets, 2 replicas)", "notifications per second", "ms",
                [
                    new SvgChart.Series("p50", "#2ca02c", steady.Select(g => (g.Key, Median(g.Select(r => r.Latency!.P50Ms)))).ToArray()),
                    new SvgChart.Series("p99", "#d62728", steady.Select(g => (g.Key, Median(g.Select(r => r.Latency!.P99Ms)))).ToArray()),
                ]));
        }

        var byBatch = results.Where(r => r.Scenario == "throughput" && r.Label is null or "" && r.Target == "notifypush" && r.Sends is not null)
            .GroupBy(r => Batch(r)).OrderBy(g => g.Key).ToArray();
        if (byBatch.Length > 0)
        {
            panels.Add(new SvgChart.Panel(
                "Durable throughput (Postgres, fsync on)", "recipients per POST", "notifications/s",
                [
                    new SvgChart.Series("accepted", "#9467bd", byBatch.Select(g => (g.Key, Median(g.Select(r => r.Sends!.AcceptedPerSecond)))).ToArray()),
                    new SvgChart.Series("delivered", "#8c564b", byBatch.Select(g => (g.Key, Median(g.Select(r => r.Sends!.DeliveredPerSecond)))).ToArray()),
                ],
                LogX: true));
        }

        if (panels.Count == 0)
        {
            Console.Error.WriteLine("plot: no successful idle, steady or throughput results found");
            return 1;
        }

        var output = options.PlotOutput!;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, SvgChart.Render(panels));
        Console.WriteLine($"plot: {panels.Count} charts from {results.Count} results -> {output}");
        return 0;
    }

    private static double Batch(BenchResult result) =>
        result.Settings.TryGetValue("batch", out var value) && value is JsonElement { ValueKind: JsonValueKind.Number } number ? number.GetDouble() : 1;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
