using System.Globalization;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>One large fan-out through the real server: the sending replica holds the payload once, not once per recipient.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FanOutMemoryTests(ITestOutputHelper output)
{
    private const int Recipients = 10_000;
    private const int PayloadBytes = 60 * 1024;
    private const int SampledRecipients = 20;
    private const long GrowthBoundBytes = 300L * 1024 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task FanOut_10000Users60KiB_SenderRssGrowsUnder300MBAndEveryRecipientGetsTheWholePayload()
    {
        Assert.True(OperatingSystem.IsLinux(), "The sender's memory is read from /proc.");
        await using var cluster = await TestCluster.StartAsync(replicas: 1);
        var receiver = cluster.InProcessReplicas.Single();
        // The sender is a process of its own, so its resident memory is the send path's alone.
        var sender = await cluster.AddProcessReplicaAsync();

        var run = Guid.NewGuid().ToString("N")[..8];
        var userIds = Enumerable.Range(0, Recipients).Select(i => $"fan-{run}-{i}").ToArray();
        var sampled = Enumerable.Range(0, SampledRecipients).Select(i => userIds[i * (Recipients / SampledRecipients)]).ToArray();

        // A warm-up fan-out of the same shape with a tiny payload: what the first send of its kind costs (JIT, pools,
        // the store's buffers for 10,000 rows) is not the payload's cost.
        await SendAsync(sender, userIds, "\"warm\"");

        var sockets = new List<TestSocket>();
        try
        {
            foreach (var userId in sampled)
            {
                var socket = await TestSocket.ConnectAsync(receiver.SocketUriFor(userId, since: 1));
                sockets.Add(socket);
                await socket.ReadUntilSyncedAsync(Timeout);
            }

            var payload = LargePayload();
            var before = ReadMemory(sender.ProcessId);
            var peakReset = TryResetPeak(sender.ProcessId);
            var elapsed = System.Diagnostics.Stopwatch.StartNew();
            await SendAsync(sender, userIds, payload);
            var answered = elapsed.Elapsed;

            // Every sampled recipient's socket, on the other replica, gets the whole payload.
            foreach (var socket in sockets)
            {
                var frame = (await socket.ReadNotificationsAsync(1, Timeout))[0];
                Assert.Equal(2, frame.GetProperty("seq").GetInt64());
                Assert.Equal(payload, frame.GetProperty("payload").GetRawText());
            }

            var after = ReadMemory(sender.ProcessId);
            var peakGrowth = (peakReset ? after.PeakRss : Math.Max(after.PeakRss, before.PeakRss)) - before.Rss;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Recipients} x {payload.Length} B fan-out answered 202 in {answered.TotalSeconds:F1} s; sender RSS {Mb(before.Rss)} MB before, {Mb(after.Rss)} MB after, peak {Mb(after.PeakRss)} MB (peak {(peakReset ? "reset before the send" : "since start")}): grew by {Mb(after.Rss - before.Rss)} MB, peak growth {Mb(peakGrowth)} MB"));

            Assert.True(peakGrowth < GrowthBoundBytes, $"The sender's resident memory grew by {Mb(peakGrowth)} MB at its peak (bound {Mb(GrowthBoundBytes)} MB).");

            // Every one of the 10,000 rows reads back with the whole payload, and the store keeps the payload once.
            var (rows, whole, payloadRows) = await CountStoredAsync(cluster, userIds, payload);
            Assert.Equal(Recipients, rows);
            Assert.Equal(Recipients, whole);
            Assert.Equal(1, payloadRows);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static async Task SendAsync(ClusterReplica sender, string[] userIds, string payloadJson)
    {
        var body = new StringBuilder(payloadJson.Length + (userIds.Length * 24));
        body.Append("""{"userIds":""").Append(JsonSerializer.Serialize(userIds)).Append(""","type":"fanout.large","payload":""").Append(payloadJson).Append('}');
        using var response = await ServiceApi.PostRawAsync(sender.Api, body.ToString());
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>A compact JSON object of about 60 KiB whose text varies along its length.</summary>
    private static string LargePayload()
    {
        var text = new StringBuilder(PayloadBytes);
        text.Append("""{"blob":" """.TrimEnd());
        for (var i = 0; text.Length < PayloadBytes - 2; i++)
        {
            text.Append((char)('a' + (i * 7 % 26)));
        }

        return text.Append("\"}").ToString();
    }

    private static async Task<(long Rows, long Whole, long PayloadRows)> CountStoredAsync(TestCluster cluster, string[] userIds, string payload)
    {
        const string sql = """
            SELECT count(*), count(*) FILTER (WHERE coalesce(n.payload, p.payload)::text = @payload), count(DISTINCT n.payload_id)
            FROM notifications AS n
            LEFT JOIN notification_payloads AS p ON p.id = n.payload_id
            WHERE n.user_id = ANY(@userIds) AND n.seq = 2
            """;
        var connectionString = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres()) { SearchPath = cluster.Schema }.ConnectionString;
        using var timeout = new CancellationTokenSource(Timeout);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("payload", payload);
        command.Parameters.AddWithValue("userIds", userIds);
        await using var reader = await command.ExecuteReaderAsync(timeout.Token);
        Assert.True(await reader.ReadAsync(timeout.Token));
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>VmRSS and VmHWM (peak) of a process, in bytes.</summary>
    private static (long Rss, long PeakRss) ReadMemory(int processId)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }

        return (rss, peak);

        static long Kilobytes(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Resets the kernel's peak resident size of the process (writing 5 to clear_refs); false where that is refused.</summary>
    private static bool TryResetPeak(int processId)
    {
        try
        {
            File.WriteAllText($"/proc/{processId}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Mb(long bytes) => bytes / (1024 * 1024);
}
