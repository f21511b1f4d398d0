using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests;

/// <summary>
/// A Postgres primary with a synchronous standby, reached through a multi-host connection string: the primary is
/// killed mid-run and the standby promoted. Sends during the switch are refused with 503 and Retry-After (never 500),
/// their retries with the same idempotency key are accepted after the promotion, every accepted notification is in the
/// promoted database, and every socket ends with exactly its 1..N.
/// </summary>
public sealed class PostgresFailoverTests(ITestOutputHelper output)
{
    private const int Rounds = 16;
    private const int KillAfterRound = 6;
    private static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task PrimaryKilledAndStandbyPromoted_SendsDuringTheSwitchAre503ThenAcceptedOnRetry_AndNothingAcknowledgedIsLost()
    {
        await using var postgres = await PostgresReplicationPair.StartAsync();
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Store:Provider"] = "Postgres",
            ["NotifyPush:Store:ConnectionString"] = postgres.ConnectionString,
            ["NotifyPush:Delivery:PositionCheckSeconds"] = "1",
        });
        using var api = server.CreateServiceClient();
        var users = Enumerable.Range(0, 3).Select(i => $"failover-{i}-{Guid.NewGuid():N}").ToArray();
        var sockets = new List<TestSocket>();
        try
        {
            foreach (var user in users)
            {
                var socket = await TestSocket.ConnectAsync(server, user);
                await socket.ReadUntilSyncedAsync();
                sockets.Add(socket);
            }

            var accepted = new ConcurrentBag<(string UserId, long Seq, Guid Id)>();
            var unavailable = 0;
            var otherAnswers = new ConcurrentQueue<string>();
            var roundsDone = 0;

            // The service: one send per user per round, each with its own key; a 503 is retried with the same key.
            var sending = Task.Run(async () =>
            {
                for (var round = 1; round <= Rounds; round++)
                {
                    foreach (var user in users)
                    {
                        var key = $"{user}-{round}";
                        var body = JsonSerializer.Serialize(new { userId = user, type = "test.event", payload = new { round } });
                        await Poll.UntilAsync(
                            async () =>
                            {
                                using var response = await ServiceApi.PostRawAsync(api, body, key);
                                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                                {
                                    if (response.Headers.RetryAfter?.Delta is not { } delay || delay <= TimeSpan.Zero)
                                    {
                                        otherAnswers.Enqueue($"503 without Retry-After for {key}");
                                    }

                                    Interlocked.Increment(ref unavailable);
                                    return false;
                                }

                                if (response.StatusCode != HttpStatusCode.Accepted)
                                {
                                    otherAnswers.Enqueue($"{(int)response.StatusCode} for {key}: {await response.Content.ReadAsStringAsync()}");
                                    return true;
                                }

                                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                                var stored = document.RootElement.GetProperty("notifications")[0];
                                accepted.Add((user, stored.GetProperty("seq").GetInt64(), stored.GetProperty("id").GetGuid()));
                                return true;
                            },
                            $"the send {key} is accepted",
                            SwitchTimeout);
                    }

                    Volatile.Write(ref roundsDone, round);
                }
            });

            await Poll.UntilAsync(() => Volatile.Read(ref roundsDone) >= KillAfterRound || sending.IsCompleted, "the first rounds are sent", SwitchTimeout);
            await postgres.KillPrimaryAsync();
            var switching = Stopwatch.StartNew();

            // The standby answers but is not the primary yet: sends are refused until it is promoted.
            await Poll.UntilAsync(() => Volatile.Read(ref unavailable) > 0 || !otherAnswers.IsEmpty || sending.IsCompleted, "a send is refused while no primary is there", SwitchTimeout);
            await postgres.PromoteStandbyAsync();
            var promotedAfter = switching.Elapsed;
            await sending.WaitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"promoted {promotedAfter.TotalSeconds:F1} s after the kill; {Volatile.Read(ref unavailable)} answers 503 during the switch; all {Rounds} rounds done {switching.Elapsed.TotalSeconds:F1} s after the kill");

            Assert.Empty(otherAnswers);
            Assert.True(Volatile.Read(ref unavailable) > 0, "no send was refused during the switch");

            // Every acknowledged notification is in the promoted database, and each user's stream is exactly 1..N.
            var promoted = await ReadStoredAsync(postgres.StandbyConnectionString, users);
            foreach (var notification in accepted)
            {
                Assert.Contains(notification, promoted);
            }

            foreach (var user in users)
            {
                Assert.Equal(
                    Enumerable.Range(1, Rounds).Select(seq => (long)seq),
                    promoted.Where(row => row.UserId == user).Select(row => row.Seq).Order());
                Assert.Equal(Rounds, accepted.Count(row => row.UserId == user));
            }

            // Every socket ends with exactly 1..N: no loss, no duplicate.
            foreach (var socket in sockets)
            {
                var frames = await socket.ReadNotificationsAsync(Rounds, TimeSpan.FromSeconds(60));
                Assert.Equal(Enumerable.Range(1, Rounds).Select(seq => (long)seq), frames.Select(frame => frame.GetProperty("seq").GetInt64()));
            }

            // And nothing after: a last send to each user arrives as N + 1.
            foreach (var (user, socket) in users.Zip(sockets))
            {
                await ServiceApi.SendAsync(api, user, idempotencyKey: $"{user}-last");
                Assert.Equal(Rounds + 1, (await socket.ReadNotificationsAsync(1, TimeSpan.FromSeconds(30))).Single().GetProperty("seq").GetInt64());
            }
        }
        finally
        {
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }

    private static async Task<List<(string UserId, long Seq, Guid Id)>> ReadStoredAsync(string connectionString, string[] users)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT user_id, seq, id FROM notifications WHERE user_id = ANY(@users)", connection);
        command.Parameters.AddWithValue("users", users);
        var rows = new List<(string, long, Guid)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetGuid(2)));
        }

        return rows;
    }
}
