using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Storage.Postgres;
using Npgsql;

namespace NotifyPush.Server.Tests.Budgets;

/// <summary>Replays share the store's connection pool with sends; their budget keeps part of it for the sends.</summary>
public sealed class ReplayBudgetTests : IAsyncLifetime
{
    private const int PoolSize = 4;
    private const int ReplayBudget = 2;
    private const int Replays = PoolSize + 2;
    private const string ReplayUserPrefix = "replayer-";

    private readonly string _schema = $"replay_budget_{Guid.NewGuid():N}";
    private NpgsqlDataSource _pool = null!;
    private HeldReadsStore _store = null!;
    private NotifyPushTestServer _server = null!;

    public Task InitializeAsync()
    {
        var postgres = Environment.GetEnvironmentVariable("NOTIFYPUSH_TEST_POSTGRES")
            ?? throw new InvalidOperationException("NOTIFYPUSH_TEST_POSTGRES is not set: run the tests through scripts/test.sh.");
        var connectionString = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = _schema, MaxPoolSize = PoolSize }.ConnectionString;
        _pool = new NpgsqlDataSourceBuilder(connectionString).Build();
        _server = new NotifyPushTestServer(
            new Dictionary<string, string?>
            {
                ["NotifyPush:Store:Provider"] = "Postgres",
                ["NotifyPush:Store:ConnectionString"] = connectionString,
                ["NotifyPush:Delivery:MaxConcurrentReplayReads"] = ReplayBudget.ToString(),
            },
            services: services =>
            {
                // The server's own Postgres store, over a pool of PoolSize connections the test can see.
                services.RemoveAll<PostgresNotificationStore>();
                services.AddSingleton(provider => new PostgresNotificationStore(
                    _pool,
                    provider.GetRequiredService<ILogger<PostgresNotificationStore>>(),
                    provider.GetRequiredService<IOptions<PostgresStoreOptions>>().Value,
                    provider.GetService<NotifyPushMetrics>()));
                services.RemoveAll<INotificationStore>();
                services.AddSingleton(provider => _store = HeldReadsStore.Create(
                    provider.GetRequiredService<PostgresNotificationStore>(),
                    _pool,
                    userId => userId.StartsWith(ReplayUserPrefix, StringComparison.Ordinal)));
                services.AddSingleton(provider => provider.GetRequiredService<HeldReadsStore>().AsStore());
            });
        _ = _server.GetService<INotificationStore>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _store?.Release();
        _server.Dispose();
        await using (var connection = await _pool.OpenConnectionAsync())
        {
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }

        await _pool.DisposeAsync();
    }

    [Fact]
    public async Task Send_WhileMoreSinceZeroReplaysThanThePoolHoldsAreStuckInTheStore_IsAcceptedAndTheReplaysWaitAtTheirBudget()
    {
        using var api = _server.CreateServiceClient();
        var replayers = Enumerable.Range(0, Replays).Select(i => $"{ReplayUserPrefix}{i}-{Guid.NewGuid():N}").ToList();
        await ServiceApi.SendAsync(api, replayers);

        // Each socket's replay reads the store; each of those reads holds a pooled connection until released.
        var sockets = await Task.WhenAll(replayers.Select(user => TestSocket.ConnectAsync(_server, user, $"access_token={NotifyPushTestServer.UserToken(user)}&since=0")));
        try
        {
            await ServiceApi.EventuallyAsync(() => Task.FromResult(_store.Held == ReplayBudget), $"{ReplayBudget} replay reads are in the store");

            // A send to someone else: its append needs a pooled connection while the replays are held.
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var response = await api.PostAsJsonAsync("/api/notifications", new { userId = $"sender-target-{Guid.NewGuid():N}", type = "test.event", payload = new { } }, timeout.Token);
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            // The replays waited at their budget: never more of them in the store at once, and none has finished.
            Assert.Equal(ReplayBudget, _store.MaxHeld);
            Assert.Equal(ReplayBudget, _store.Held);
            Assert.All(sockets, socket => Assert.False(socket.Closed.IsCompleted));

            // Released, every replay completes and delivers what it owed.
            _store.Release();
            foreach (var socket in sockets)
            {
                var (replayed, synced) = await socket.ReadUntilSyncedAsync();
                Assert.Equal([1L], replayed.Select(frame => frame.GetProperty("seq").GetInt64()));
                Assert.True(synced.GetProperty("recovered").GetBoolean());
            }
        }
        finally
        {
            _store.Release();
            foreach (var socket in sockets)
            {
                await socket.DisposeAsync();
            }
        }
    }
}
