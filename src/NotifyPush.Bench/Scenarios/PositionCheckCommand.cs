using System.Diagnostics;
using System.Globalization;
using NotifyPush.Core.Storage;
using NotifyPush.Storage.Postgres;
using Npgsql;

namespace NotifyPush.Bench.Scenarios;

/// <summary>
/// <c>position-check --postgres &lt;connection string&gt; [--users N] [--batch N] [--passes N]</c>: what one position
/// check of a replica holding sockets of N users (default 10,000) costs against Postgres. Seeds N streams in a schema
/// of its own (one fan-out), then runs passes as the replica's check does (<c>GetStreamHeadsAsync</c> in batches,
/// default 1,000 ids, then a comparison with each socket's position) and prints, per pass: store queries, wall time,
/// this process's CPU and the CPU of the Postgres backend that served the queries (when /proc shows it). Drops the
/// schema at the end.
/// </summary>
internal static class PositionCheckCommand
{
    private const string ApplicationName = "notifypush-bench-position-check";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var postgres = Option(args, "--postgres");
        if (postgres is null)
        {
            Console.Error.WriteLine("usage: NotifyPush.Bench position-check --postgres <connection string> [--users N] [--batch N] [--passes N]");
            return 2;
        }

        var users = int.Parse(Option(args, "--users") ?? "10000", CultureInfo.InvariantCulture);
        var batchSize = int.Parse(Option(args, "--batch") ?? "1000", CultureInfo.InvariantCulture);
        var passes = int.Parse(Option(args, "--passes") ?? "5", CultureInfo.InvariantCulture);
        var schema = $"bench_position_{Guid.NewGuid():N}";
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));

        // One pooled connection: every query of a pass runs on the same backend, whose CPU /proc then shows.
        var settings = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = schema, MaxPoolSize = 1, ApplicationName = ApplicationName };
        await using var store = PostgresNotificationStore.Create(settings.ConnectionString);
        try
        {
            await store.InitializeAsync(deadline.Token);
            var userIds = Enumerable.Range(0, users).Select(i => $"bench-user-{i:D6}").ToArray();
            var now = DateTimeOffset.UtcNow;
            await store.AppendAsync(new AppendRequest("bench", null, "seed", userIds, "bench.seed", """{"n":1}""", now, now.AddHours(1)), deadline.Token);

            // The replica's side of a pass: each socket's last sent seq, compared with its user's head.
            var positions = userIds.ToDictionary(static id => id, static _ => 1L, StringComparer.Ordinal);
            var backendPid = await BackendPidAsync(postgres, deadline.Token);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"position check: {users:N0} users (one socket each), batches of {batchSize:N0}, {passes} passes, Postgres backend pid {backendPid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}"));
            var process = Process.GetCurrentProcess();
            for (var pass = 1; pass <= passes; pass++)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var backendBefore = BackendCpu(backendPid);
                var wall = Stopwatch.StartNew();
                var queries = 0;
                var behind = 0;
                foreach (var batch in userIds.Chunk(batchSize))
                {
                    var heads = await store.GetStreamHeadsAsync(batch, deadline.Token);
                    queries++;
                    foreach (var (userId, head) in heads)
                    {
                        if (positions[userId] < head)
                        {
                            behind++;
                        }
                    }
                }

                wall.Stop();
                process.Refresh();
                var cpu = process.TotalProcessorTime - cpuBefore;
                var backend = BackendCpu(backendPid) - backendBefore;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  pass {pass}: {queries} queries, {wall.Elapsed.TotalMilliseconds:F1} ms wall, {cpu.TotalMilliseconds:F0} ms CPU in this process, {(backendPid is null ? "?" : backend.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture))} ms CPU in the Postgres backend, {behind} sockets behind"));
            }

            return 0;
        }
        finally
        {
            await using var connection = new NpgsqlConnection(postgres);
            await connection.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static string? Option(IReadOnlyList<string> args, string name)
    {
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == name)
            {
                return args[i + 1];
            }
        }

        return null;
    }

    /// <summary>The pid of the backend serving the store's one pooled connection (found by its application name).</summary>
    private static async Task<int?> BackendPidAsync(string postgres, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pid FROM pg_stat_activity WHERE application_name = @name LIMIT 1", connection);
        command.Parameters.AddWithValue("name", ApplicationName);
        return await command.ExecuteScalarAsync(cancellationToken) is int pid ? pid : null;
    }

    /// <summary>User plus system CPU of a process from /proc (clock ticks of 10 ms); zero where it cannot be read.</summary>
    private static TimeSpan BackendCpu(int? pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }
}
