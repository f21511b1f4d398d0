using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// A database that is not there surfaces as <see cref="StoreUnavailableException"/>, is logged once, and the store
/// recovers by itself when it is back. "Not there" is a forwarding port this test closes and opens, so the
/// shared test server keeps running for the other tests.
/// </summary>
public sealed class PostgresAvailabilityTests : IAsyncLifetime
{
    private readonly PostgresTestSchema _schema = PostgresTestSchema.New();
    private readonly FakeLogCollector _logs = new();
    private ILoggerFactory _loggerFactory = null!;
    private TcpForwarder _forwarder = null!;
    private PostgresNotificationStore _store = null!;

    public Task InitializeAsync()
    {
        var server = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres());
        _forwarder = new TcpForwarder(server.Host!, server.Port);
        var throughForwarder = new NpgsqlConnectionStringBuilder(_schema.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = _forwarder.Port,
            Timeout = 5,
        };
        _loggerFactory = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
        _store = PostgresNotificationStore.Create(throughForwarder.ConnectionString, _loggerFactory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _loggerFactory.Dispose();
        await _forwarder.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task Calls_WhenTheDatabaseIsDown_ThrowStoreUnavailableAndLogItOnce()
    {
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.InitializeAsync(TestTimeouts.Token())).Bounded();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.PingAsync(TestTimeouts.Token())).Bounded();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token())).Bounded();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.ReadAsync("u1", 0, 10, StoreRequests.Now, TestTimeouts.Token())).Bounded();

        Assert.Equal(1, CountLogs(NotifyPushEventIds.PostgresUnavailable));
        Assert.Equal(0, CountLogs(NotifyPushEventIds.PostgresRecovered));
    }

    [Fact]
    public async Task Calls_WhenTheDatabaseComesBack_SucceedAndRecoveryIsLoggedOnce()
    {
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.PingAsync(TestTimeouts.Token())).Bounded();

        _forwarder.Start();
        await _store.InitializeAsync(TestTimeouts.Token()).Bounded();
        var appended = await _store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token()).Bounded();
        await _store.PingAsync(TestTimeouts.Token()).Bounded();

        Assert.Equal(1, Assert.Single(appended.Notifications).Seq);
        Assert.Equal(1, CountLogs(NotifyPushEventIds.PostgresUnavailable));
        Assert.Equal(1, CountLogs(NotifyPushEventIds.PostgresRecovered));
    }

    [Fact]
    public async Task Calls_WhenTheDatabaseDiesUnderOpenConnections_ThrowStoreUnavailableThenRecover()
    {
        _forwarder.Start();
        await _store.InitializeAsync(TestTimeouts.Token()).Bounded();
        await _store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token()).Bounded();

        // The pooled connection is cut mid-life, as by a server crash or failover.
        await _forwarder.StopAsync();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token())).Bounded();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => _store.PingAsync(TestTimeouts.Token())).Bounded();

        _forwarder.Start();
        var appended = await _store.AppendAsync(StoreRequests.Append("u1"), TestTimeouts.Token()).Bounded();

        // The failed append committed nothing: the stream has no hole.
        Assert.Equal(2, Assert.Single(appended.Notifications).Seq);
        Assert.Equal(1, CountLogs(NotifyPushEventIds.PostgresUnavailable));
        Assert.Equal(1, CountLogs(NotifyPushEventIds.PostgresRecovered));
    }

    private int CountLogs(int eventId) => _logs.GetSnapshot().Count(record => record.Id.Id == eventId);
}
