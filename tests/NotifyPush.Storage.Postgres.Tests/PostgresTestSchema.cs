using Microsoft.Extensions.Logging;
using NotifyPush.Specification.Tests;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>
/// A schema of its own in the test database (from <c>NOTIFYPUSH_TEST_POSTGRES</c>) for one test: stores made by
/// <see cref="CreateStore"/> keep their tables in it, and <see cref="DisposeAsync"/> drops it with everything inside.
/// </summary>
internal sealed class PostgresTestSchema : IAsyncDisposable
{
    private PostgresTestSchema(string serverConnectionString, string name)
    {
        ServerConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { SearchPath = name }.ConnectionString;
    }

    /// <summary>The schema's name; it is not created until a store initialises (or <see cref="CreateAsync"/> is asked to).</summary>
    public string Name { get; }

    /// <summary>The test database's connection string, without a search path.</summary>
    public string ServerConnectionString { get; }

    /// <summary>The connection string with <c>Search Path</c> set to this schema.</summary>
    public string ConnectionString { get; }

    public static PostgresTestSchema New() =>
        new(TestEnvironment.RequirePostgres(), $"test_{Guid.NewGuid():N}");

    /// <summary>A store over its own data source, in this schema; the caller disposes it.</summary>
    public PostgresNotificationStore CreateStore(ILoggerFactory? loggerFactory = null, PostgresStoreOptions? options = null, string? applicationName = null) =>
        PostgresNotificationStore.Create(
            applicationName is null ? ConnectionString : new NpgsqlConnectionStringBuilder(ConnectionString) { ApplicationName = applicationName }.ConnectionString,
            loggerFactory,
            options);

    /// <summary>An initialised store in this schema.</summary>
    public async Task<PostgresNotificationStore> CreateInitializedStoreAsync(ILoggerFactory? loggerFactory = null)
    {
        var store = CreateStore(loggerFactory);
        await store.InitializeAsync(TestTimeouts.Token());
        return store;
    }

    /// <summary>Runs a scalar query in this schema on a connection of its own.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestTimeouts.Token());
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestTimeouts.Token()))!;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync(TestTimeouts.Token());
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync(TestTimeouts.Token());
    }
}
