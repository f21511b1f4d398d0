using System.Diagnostics;
using NotifyPush.Core.Diagnostics;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// The end of every cluster run: compares what each logical client received with the store, writes the figures to
/// the test log, and asserts the delivery guarantee (store gap-free, each send stored once, each client 1..N exactly).
/// </summary>
public static class ClusterReport
{
    /// <summary>Audits the run, writes the figures, then asserts; <paramref name="notes"/> are extra lines for the log.</summary>
    public static async Task VerifyAsync(ITestOutputHelper output, TestCluster cluster, ClientFleet fleet, SendLoad load, Stopwatch elapsed, params string[] notes)
    {
        var streams = await cluster.ReadStreamsAsync();
        long LastSeq(string user) => streams.TryGetValue(user, out var stream) ? stream.LastSeq : 0;

        var audits = fleet.Clients.Select(c => c.Audit(LastSeq(c.UserId))).ToList();
        var closes = fleet.Clients.SelectMany(c => c.Closes).ToList();
        var connects = fleet.Clients.Sum(c => c.Connects);
        var storedRows = streams.Values.Sum(s => s.Rows);
        var acceptedSeqs = load.AcceptedSeqs();

        output.WriteLine($"run: {elapsed.Elapsed.TotalSeconds:F1} s, {cluster.Replicas.Count} replicas ({string.Join(", ", cluster.Replicas.Select(r => r.Name))}), {streams.Count} users, {fleet.Clients.Count} logical clients");
        output.WriteLine($"sends: {load.Accepted} accepted (202), {load.Retries} failed attempts retried with the same Idempotency-Key ({load.Failures}), {load.Replayed} answered as idempotent replays; {storedRows} notifications stored");
        output.WriteLine($"sockets: {connects} opened, {connects - fleet.Clients.Count} reconnects, {fleet.Clients.Sum(c => c.RefusedConnects)} refused handshakes, {fleet.Disruptions} faults injected by the test");
        output.WriteLine($"closes not caused by the test: {Describe(closes.Where(c => !c.Disrupted))}");
        output.WriteLine($"delivery: {audits.Sum(a => a.LastSeq)} expected, {audits.Sum(a => a.Received)} received, {audits.Sum(a => a.Lost)} lost, {audits.Sum(a => a.Duplicated)} duplicated, {audits.Sum(a => a.OutOfOrder)} out of order, {audits.Sum(a => a.Problems.Count)} protocol problems");
        output.WriteLine($"engine (in-process replicas): {cluster.CountLogEvents(NotifyPushEventIds.GapDetected)} gap fills, {cluster.CountLogEvents(NotifyPushEventIds.BackplaneRestored)} backplane restores, {cluster.CountLogEvents(NotifyPushEventIds.SlowConsumer)} slow consumers, {cluster.CountLogEvents(NotifyPushEventIds.StoreUnavailableDuringDelivery)} store-unavailable closes");
        foreach (var note in notes)
        {
            output.WriteLine(note);
        }

        foreach (var audit in audits.Where(a => !a.IsExact).Take(10))
        {
            output.WriteLine($"NOT EXACT {audit}");
        }

        Assert.All(streams, pair => Assert.True(pair.Value.IsGapFree, $"{pair.Key}: the store holds {pair.Value} instead of seq 1..{pair.Value.LastSeq}"));
        Assert.Equal(load.Accepted, storedRows);
        Assert.All(acceptedSeqs, pair => Assert.Equal(Enumerable.Range(1, (int)LastSeq(pair.Key)).Select(s => (long)s), pair.Value));
        Assert.All(audits, audit => Assert.True(audit.IsExact, audit.ToString()));
    }

    /// <summary>Close codes with counts and the replicas they came from, e.g. <c>1012×40 (r2)</c>.</summary>
    public static string Describe(IEnumerable<SocketClose> closes)
    {
        var groups = closes.GroupBy(c => c.Code).OrderBy(g => g.Key)
            .Select(g => $"{g.Key}×{g.Count()} ({string.Join(",", g.Select(c => c.Replica).Distinct().Order())})")
            .ToList();
        return groups.Count == 0 ? "none" : string.Join(", ", groups);
    }
}
