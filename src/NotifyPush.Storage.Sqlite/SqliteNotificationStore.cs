using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

/// <summary>
/// The embedded <see cref="INotificationStore"/>: one SQLite database file in WAL mode, the zero-setup default.
/// </summary>
/// <remarks>
/// Writes go through one long-lived connection, serialised in-process by a semaphore and across processes by
/// <c>BEGIN IMMEDIATE</c>, with <c>synchronous=FULL</c> so a completed append has reached the disk. Reads use
/// pooled connections of their own and never wait for the writer (WAL readers see the last commit).
/// The busy timeout is the connection string's <c>Default Timeout</c> in seconds, 5 when it sets none. It bounds both
/// the wait for this process's other writes and the wait for another process's lock; past it a call fails with
/// <see cref="StoreUnavailableException"/>.
/// </remarks>
public sealed partial class SqliteNotificationStore : INotificationStore, IAsyncDisposable
{
    /// <summary>The connection string used when none is configured: a file under <c>data/</c> of the working directory.</summary>
    public const string DefaultConnectionString = "Data Source=data/notifypush.db";

    private const int DefaultBusyTimeoutSeconds = 5;

    private readonly string _readConnectionString;
    private readonly string _writeConnectionString;
    private readonly int _busyTimeoutMs;
    private readonly ILogger _logger;

    // One writer at a time in this process. BEGIN IMMEDIATE alone would serialise too, but through
    // SQLite's busy-wait polling; an async semaphore queues writers without blocking threads.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private SqliteConnection? _writer; // guarded by _writeLock
    private bool _disposed; // written under _writeLock

    // The failure is logged once until the store recovers.
    private readonly LogOnce _availability = new();
    private readonly NotifyPushMetrics? _metrics;

    static SqliteNotificationStore() => SQLitePCL.Batteries_V2.Init();

    /// <summary>Creates a store for the database file named by <paramref name="connectionString"/>; opens nothing yet.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string with a file <c>Data Source</c>.</param>
    /// <param name="logger">Receives the store's events (ids 2000-2099).</param>
    /// <param name="metrics">Records the size of each commit; null records nothing.</param>
    public SqliteNotificationStore(string connectionString, ILogger<SqliteNotificationStore> logger, NotifyPushMetrics? metrics = null)
    {
        _metrics = metrics;
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);

        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:")
        {
            // Reads run on separate connections and WAL needs a file: an in-memory database cannot do either.
            throw new ArgumentException("The SQLite store needs a database file: set 'Data Source' to a path.", nameof(connectionString));
        }

        if (!SetsTimeout(connectionString))
        {
            builder.DefaultTimeout = DefaultBusyTimeoutSeconds;
        }

        // Absolute, so that a later change of the working directory cannot move the database.
        DataSource = Path.GetFullPath(builder.DataSource);
        builder.DataSource = DataSource;
        _busyTimeoutMs = checked(builder.DefaultTimeout * 1000);
        _readConnectionString = builder.ToString();

        // The writer is opened once and kept; after a failure it is closed for real, not parked in the pool.
        builder.Pooling = false;
        _writeConnectionString = builder.ToString();
        _logger = logger;
    }

    /// <summary>Full path of the database file.</summary>
    internal string DataSource { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken) =>
        WithWriterAsync("initialize the schema", (connection, ct) =>
        {
            var applied = SqliteMigrations.Apply(connection, DataSource, ct);
            foreach (var migration in applied)
            {
                Log.MigrationApplied(_logger, migration.Name, migration.Version, DataSource);
            }

            return applied.Count;
        }, cancellationToken);

    /// <inheritdoc />
    public Task PingAsync(CancellationToken cancellationToken) =>
        RunRead("answer a ping", (connection, ct) =>
            connection.ExecuteScalar<long>(new CommandDefinition(SqliteSql.Ping, cancellationToken: ct)), cancellationToken);

    /// <summary>Closes the writer and the pooled read connections. An append in progress finishes first.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            CloseWriter();
            using var pooled = new SqliteConnection(_readConnectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            // The semaphore is not disposed: a caller still queued on it must wake up and see _disposed.
            _writeLock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> in one <c>BEGIN IMMEDIATE</c> transaction on the writer connection.</summary>
    private Task<T> RunWrite<T>(string operation, Func<SqliteConnection, SqliteTransaction, CancellationToken, T> work, CancellationToken cancellationToken) =>
        WithWriterAsync(operation, (connection, ct) =>
        {
            // Disposing without Commit rolls back: a conflict, a cancellation or a failure stores nothing.
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = work(connection, transaction, ct);
            transaction.Commit();
            return result;
        }, cancellationToken);

    private async Task<T> WithWriterAsync<T>(string operation, Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!await _writeLock.WaitAsync(_busyTimeoutMs, cancellationToken).ConfigureAwait(false))
        {
            throw Unavailable(operation, new TimeoutException($"Other writes of this process held the store for {_busyTimeoutMs} ms."));
        }

        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = work(_writer ??= OpenWriter(cancellationToken), cancellationToken);
            MarkAvailable();
            return result;
        }
        catch (Exception exception) when (SqliteTransientErrors.IsTransient(exception))
        {
            // After an I/O or locking failure the connection may be unusable; the next write opens a fresh one.
            CloseWriter();
            throw Unavailable(operation, exception);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection.</summary>
    /// <remarks>Microsoft.Data.Sqlite does its I/O synchronously, so there is nothing to await; the result is wrapped.</remarks>
    private Task<T> RunRead<T>(string operation, Func<SqliteConnection, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            var result = work(connection, cancellationToken);
            MarkAvailable();
            return Task.FromResult(result);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        catch (Exception exception) when (SqliteTransientErrors.IsTransient(exception))
        {
            return Task.FromException<T>(Unavailable(operation, exception));
        }
        catch (Exception exception)
        {
            return Task.FromException<T>(exception);
        }
    }

    private SqliteConnection OpenWriter(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(DataSource);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_writeConnectionString);
        try
        {
            connection.Open();

            // busy_timeout first: switching to WAL takes a lock that another process may hold for a moment.
            // WAL is stored in the file; synchronous=FULL is per connection and only the writer commits.
            connection.Execute(new CommandDefinition(SqliteSql.BusyTimeout(_busyTimeoutMs), cancellationToken: cancellationToken));
            var journalMode = connection.ExecuteScalar<string>(new CommandDefinition(SqliteSql.JournalModeWal, cancellationToken: cancellationToken));
            connection.Execute(new CommandDefinition(SqliteSql.SynchronousFull, cancellationToken: cancellationToken));
            var version = connection.ExecuteScalar<string>(new CommandDefinition(SqliteSql.SqliteVersion, cancellationToken: cancellationToken));
            Log.StoreOpened(_logger, DataSource, version ?? "unknown", journalMode ?? "unknown", _busyTimeoutMs);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void CloseWriter()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private void MarkAvailable()
    {
        if (_availability.Succeed())
        {
            Log.StoreRecovered(_logger, DataSource);
        }
    }

    private StoreUnavailableException Unavailable(string operation, Exception exception)
    {
        if (_availability.Fail())
        {
            Log.StoreUnavailable(_logger, DataSource, operation, exception);
        }

        return new StoreUnavailableException($"The SQLite store at '{DataSource}' could not {operation}: {exception.Message}", exception);
    }

    // SqliteConnectionStringBuilder reports every keyword as present; the plain builder knows what was written.
    private static bool SetsTimeout(string connectionString)
    {
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return written.ContainsKey("Default Timeout") || written.ContainsKey("Command Timeout");
    }
}
