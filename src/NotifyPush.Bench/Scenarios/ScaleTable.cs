using System.Globalization;
using System.Text;
using NotifyPush.Bench.Measurement;

namespace NotifyPush.Bench.Scenarios;

/// <summary>The scale scenario's markdown table (one row per phase) and the phase's part of the summary line.</summary>
internal static class ScaleTable
{
    public static string Markdown(BenchResult result, ScaleReport report)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"scale: {result.Sockets.Connected} sockets, Redis {report.Redis} (backplane mode {report.BackplaneMode}), PostgreSQL primary + synchronous standby, settle {report.SettleSeconds} s");
        text.AppendLine();
        text.AppendLine("| phase | s | 202 | 503 | other | POST→tab p50 / p99 / max ms | promoted s | first 202 s | last 503 s | first delivery s | resumes | replica CPU s | Redis CPU s | PostgreSQL CPU s |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var p in report.Phases)
        {
            var other = p.PostsOther.Count == 0 ? "0" : string.Join(", ", p.PostsOther.Select(o => $"{o.Key}: {o.Value}"));
            var latency = p.Latency is { } l ? string.Create(c, $"{l.P50Ms} / {l.P99Ms} / {l.MaxMs}") : "-";
            text.AppendLine(c, $"| {p.Name} | {p.DurationSeconds:F1} | {p.Posts202} | {p.Posts503} | {other} | {latency} | {Value(p.FaultToPromotedSeconds)} | {Value(p.FaultToFirst202Seconds)} | {Value(p.FaultToLast503Seconds)} | {Value(p.FaultToFirstDeliverySeconds)} | {p.Resumes} | {p.ReplicaCpuSeconds:F1} | {p.RedisCpuSeconds:F2} | {p.PostgresCpuSeconds:F2} |");
        }

        text.AppendLine();
        text.AppendLine(c, $"Per socket at the end: lost {report.Lost}, duplicated {report.Duplicated}, out of order {report.OutOfOrder}, behind {report.SocketsBehind}; open {report.OpenAtEnd}; sends given up after 60 s of retries {report.GaveUp}.");
        return text.ToString();
    }

    /// <summary>Writes the table beside the JSON result (<c>scale-[label-]run.md</c>).</summary>
    public static async Task WriteAsync(BenchRun run, string table)
    {
        Directory.CreateDirectory(run.Options.OutputDirectory);
        var path = Path.Combine(run.Options.OutputDirectory, $"scale-{(run.Options.Label is null ? "" : run.Options.Label + "-")}{run.RunId}.md");
        await File.WriteAllTextAsync(path, table, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>One phase in the summary line: POST answers, latency and, for a fault, the time to the first delivery after it.</summary>
    public static string Brief(ScalePhaseReport p) => string.Create(
        CultureInfo.InvariantCulture,
        $"{p.Name}: 202 {p.Posts202}, 503 {p.Posts503}, other {p.PostsOther.Values.Sum()}, p50 {p.Latency?.P50Ms ?? 0} p99 {p.Latency?.P99Ms ?? 0} max {p.Latency?.MaxMs ?? 0} ms{(p.Fault is null ? "" : $", delivering again after {Value(p.FaultToFirstDeliverySeconds)} s")}");

    private static string Value(double? seconds) => seconds is { } s ? s.ToString("F2", CultureInfo.InvariantCulture) : "-";
}
