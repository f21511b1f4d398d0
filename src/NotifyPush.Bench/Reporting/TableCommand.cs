using System.Globalization;
using System.Text;
using System.Text.Json;
using NotifyPush.Bench.Cli;
using NotifyPush.Bench.Measurement;
using NotifyPush.Bench.Servers;

namespace NotifyPush.Bench.Reporting;

/// <summary>
/// <c>table</c>: one markdown table from JSON results, a row per scenario and target (NotifyPush first, then the
/// peers), for <c>scripts/bench.sh compare</c>. Several runs of one pair are reduced to their median; failed runs are
/// shown as failed rather than left out.
/// </summary>
internal static class TableCommand
{
    public static int Run(BenchOptions options)
    {
        var results = new List<BenchResult>();
        foreach (var input in options.Inputs)
        {
            var files = Directory.Exists(input) ? Directory.GetFiles(input, "*.json", SearchOption.AllDirectories) : [input];
            foreach (var file in files)
            {
                if (JsonSerializer.Deserialize<BenchResult>(File.ReadAllText(file), BenchResult.Json) is { } result)
                {
                    results.Add(result);
                }
            }
        }

        if (results.Count == 0)
        {
            Console.Error.WriteLine("table: no results found");
            return 1;
        }

        Console.Write(Render(results));
        return 0;
    }

    // With --passes: pass 1 ran on servers just started, the later ones on the same processes warm.
    private static string ScenarioName(string scenario, int? pass) =>
        pass switch
        {
            null => scenario,
            1 => $"{scenario}, pass 1 (just started)",
            _ => string.Create(CultureInfo.InvariantCulture, $"{scenario}, pass {pass} (warm)"),
        };

    internal static string Render(IReadOnlyList<BenchResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | target | sockets | connected in | RSS per socket | load | POST→receipt p50 | p99 | delivered/s | server CPU per delivered | all CPU per delivered | server cores | busiest server CPU per delivered | GC pause p99 / max | server CPU per handshake | lost | duplicated | runs |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var groups = results
            .GroupBy(r => (r.Scenario, r.Target, r.Pass))
            .OrderBy(g => Array.IndexOf(BenchOptions.Scenarios, g.Key.Scenario))
            .ThenBy(g => g.Key.Pass ?? 0)
            .ThenBy(g => TargetOrder(g.Key.Target));
        foreach (var group in groups)
        {
            var ok = group.Where(r => r.Ok).ToArray();
            var failed = group.Count() - ok.Length;
            var runs = failed == 0 ? ok.Length.ToString(CultureInfo.InvariantCulture) : $"{ok.Length} ok, {failed} failed";
            if (ok.Length == 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {ScenarioName(group.Key.Scenario, group.Key.Pass)} | {group.Key.Target} | | | | | | | | | | | | | | | | {runs}: {group.First().Summary.Replace("|", "/", StringComparison.Ordinal)} |");
                continue;
            }

            var first = ok[0];
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {ScenarioName(group.Key.Scenario, group.Key.Pass)} | {group.Key.Target} | {first.Sockets.Connected:N0} | {Number(Median(ok, r => r.Sockets.ConnectSeconds), "F1", " s")} | {Number(Median(ok, r => r.RssPerSocketKb), "F1", " KB")} | {Load(first)} | {Ms(Median(ok, r => r.Latency?.P50Ms))} | {Ms(Median(ok, r => r.Latency?.P99Ms))} | {Number(Median(ok, r => r.Sends?.DeliveredPerSecond), "N0")} | {Number(Median(ok, r => r.Cpu?.MicrosPerDelivered), "N0", " µs")} | {Number(Median(ok, r => r.Cpu?.AllMicrosPerDelivered), "N0", " µs")} | {Number(Median(ok, r => r.Cpu?.ServerCores), "F2")} | {Number(Median(ok, r => r.Servers.Max(s => s.PhaseMicrosPerDelivered)), "N0", " µs")} | {GcPauses(ok)} | {Number(Median(ok, r => r.Sockets.ServerMicrosPerHandshake), "N0", " µs")} | {ok.Sum(r => r.Deliveries?.Lost ?? 0)} | {ok.Sum(r => r.Deliveries?.Duplicates ?? 0)} | {runs} |"));
        }

        text.AppendLine();
        text.AppendLine("Server CPU is user + system time of the server processes (NotifyPush's replicas or the peer's nodes) from /proc over the measured phase; all CPU adds every redis-server and postgres process of the box in the same time (the load generator is not counted). Connected in: from the first connect until every socket is open and synced, right after the servers started. RSS per socket (idle): the replica's RSS growth over the sockets it holds. Busiest server: the one server process (replica or node) with the most CPU per delivered notification in the phase. GC pauses: every stop of the runtime for a collection in the measured phase, per .NET server process (the highest p99 and max over the processes; none for Go). Peers store nothing: NotifyPush commits every notification to PostgreSQL before its 202.");
        return text.ToString();
    }

    private static int TargetOrder(string target)
    {
        var index = BenchTarget.All.ToList().FindIndex(t => t.Name == target);
        return index < 0 ? int.MaxValue : index;
    }

    private static string Load(BenchResult result) => result.Scenario switch
    {
        "steady" => string.Create(CultureInfo.InvariantCulture, $"{result.Sends?.TargetRate:N0}/s"),
        "throughput" => string.Create(CultureInfo.InvariantCulture, $"{Setting(result, "concurrency")} senders x {Setting(result, "batch")}"),
        _ => string.Empty,
    };

    /// <summary>The median over runs of the worst process's p99 and max GC pause; empty when no process reported any.</summary>
    private static string GcPauses(IReadOnlyList<BenchResult> results)
    {
        var p99 = Median(results, r => r.Servers.Max(s => s.GcPauses?.P99Ms));
        var max = Median(results, r => r.Servers.Max(s => s.GcPauses?.MaxMs));
        return p99 is null ? "" : $"{Ms(p99)} / {Ms(max)}";
    }

    private static string Setting(BenchResult result, string name) =>
        result.Settings.TryGetValue(name, out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" : "";

    private static double? Median(IEnumerable<BenchResult> results, Func<BenchResult, double?> value)
    {
        var values = results.Select(value).Where(v => v is not null).Select(v => v!.Value).Order().ToArray();
        return values.Length == 0 ? null : values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }

    private static string Ms(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0.##} ms") : "";

    private static string Number(double? value, string format, string unit = "") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) + unit : "";
}
