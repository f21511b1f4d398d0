using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Storage;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>
/// The Postgres mailbox: per-user streams in <c>user_streams</c> and <c>notifications</c>, for deployments with
/// several replicas. Every call is one round trip where the contract allows it (a fan-out to 10,000 users is one
/// statement). Tables live in the first schema of the connection string's <c>Search Path</c> (default <c>public</c>).
/// </summary>
/// <remarks>
/// Use one instance (and so one <see cref="NpgsqlDataSource"/>, one connection pool) per process.
/// The schema is created or upgraded by <see cref="InitializeAsync"/> / <see cref="MigrateAsync"/> from the numbered
/// migrations embedded from <c>db/postgres/</c>; operators can run them ahead of a deploy with
/// <c>dotnet NotifyPush.Server.dll migrate</c>.
/// </remarks>
public sealed partial class PostgresNotificationStore : INotificationStore, IAsyncDisposable
{
    private const long PoolClearIntervalMs = 1000;

    // How long a multi-host pool trusts a host's last known state (Create).
    private const int MultiHostRecheckSeconds = 2;

    // A unit of work found on a dead connection runs once more, on a new one (RunAsync).
    private const int MaxConnectionAttempts = 2;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string? _schema;
    private readonly ILogger _logger;
    private readonly PostgresStoreOptions _options;
    private readonly NotifyPushMetrics? _metrics;
    private readonly PostgresGroupCommitter _groupCommitter;

    // An outage is logged once, not once per call; _unavailableSince (Environment.TickCount64) times it.
    private readonly LogOnce _availability = new();
    private long _unavailableSince;
    private int _disposed;

    // Environment.TickCount64 of the last pool clear after a lost connection (ClearPool).
    private long _poolClearedAt = long.MinValue / 2;

    /// <summary>A store over a data source the caller owns (and disposes).</summary>
    public PostgresNotificationStore(NpgsqlDataSource dataSource, ILogger<PostgresNotificationStore> logger, PostgresStoreOptions? options = null, NotifyPushMetrics? metrics = null)
        : this(dataSource, ownsDataSource: false, logger, options, metrics)
    {
    }

    private PostgresNotificationStore(NpgsqlDataSource dataSource, bool ownsDataSource, ILogger logger, PostgresStoreOptions? options, NotifyPushMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger;
        _options = options ?? new PostgresStoreOptions();
        _metrics = metrics;
        _schema = SchemaOf(dataSource.ConnectionString);

        // The committer writes through this store: a batch with the retry rules of every call (not safe to repeat, so
        // in a transaction; no caller's token, since the batch is everyone's), and what a batch cannot answer alone.
        _groupCommitter = new PostgresGroupCommitter(
            _options,
            work => RunAsync(work, OnLostConnection.Fail, CancellationToken.None),
            append => AppendAloneAsync(append, CancellationToken.None),
            metrics);
    }

    /// <summary>
    /// Builds the process's data source from an Npgsql connection string and a store that owns it (disposing the
    /// store closes the pool). <c>Application Name</c> defaults to <c>NotifyPush</c>; with several hosts,
    /// <c>Target Session Attributes</c> defaults to <c>primary</c> and <c>Host Recheck Seconds</c> to 2.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string's <c>Target Session Attributes</c> could reach a standby.</exception>
    public static PostgresNotificationStore Create(string connectionString, ILoggerFactory? loggerFactory = null, PostgresStoreOptions? options = null, NotifyPushMetrics? metrics = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        settings.ApplicationName ??= "NotifyPush";

        // Several hosts: the primary, whichever it is now (PostgresTargetSession).
        PostgresTargetSession.Apply(settings, connectionString);

        // Npgsql remembers each host's state (primary, standby, offline) for Host Recheck Seconds, 10 by default: a
        // standby seen while the old primary was gone would not be tried as the new primary for that long after its
        // promotion, and every send in between answers 503. A recheck costs a connection attempt to a host listed
        // before the primary, only when a new physical connection is opened.
        if (settings.Host?.Contains(',', StringComparison.Ordinal) == true && !Mentions(connectionString, "HostRecheckSeconds"))
        {
            settings.HostRecheckSeconds = MultiHostRecheckSeconds;
        }

        // The store runs a dozen fixed statements: prepared once per pooled connection, PostgreSQL parses and plans
        // each once instead of on every send. No session state is set, so a connection going back to the pool
        // needs no DISCARD ALL (which would also drop the prepared statements). Either can be set explicitly.
        if (!Mentions(connectionString, "MaxAutoPrepare"))
        {
            settings.MaxAutoPrepare = 32;
        }

        if (!Mentions(connectionString, "NoResetOnClose"))
        {
            settings.NoResetOnClose = true;
        }

        var logger = (ILogger?)loggerFactory?.CreateLogger<PostgresNotificationStore>() ?? NullLogger.Instance;
        return new PostgresNotificationStore(builder.Build(), ownsDataSource: true, logger, options, metrics);
    }

    /// <summary>Whether the connection string sets a keyword, spelled with or without spaces, in any case.</summary>
    private static bool Mentions(string connectionString, string keyword)
    {
        var parsed = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in parsed.Keys)
        {
            if (string.Equals(key.Replace(" ", string.Empty, StringComparison.Ordinal), keyword, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The write-path tuning this store runs with.</summary>
    internal PostgresStoreOptions Options => _options;

    /// <summary>The connection settings of the pool, after the store's defaults.</summary>
    internal NpgsqlConnectionStringBuilder ConnectionSettings => new(_dataSource.ConnectionString);

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredNotification>> ReadAsync(string userId, long afterSeq, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        if (limit <= 0)
        {
            return [];
        }

        var parameters = new { UserId = userId, AfterSeq = afterSeq, Now = now.ToUniversalTime(), Limit = limit };
        return await RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<NotificationRow>(new CommandDefinition(PostgresSql.Read, parameters, cancellationToken: ct));
                return (IReadOnlyList<StoredNotification>)rows.Select(static row => row.ToStored()).ToList();
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<UserStreamState> GetStreamStateAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        return RunAsync(
            async (connection, ct) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<StreamRow>(
                    new CommandDefinition(PostgresSql.StreamState, new { UserId = userId }, cancellationToken: ct));
                return row is null ? UserStreamState.Empty : new UserStreamState(row.LastSeq, row.AckedSeq, row.PrunedSeq);
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UserStreamState>> GetStreamStatesAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return new Dictionary<string, UserStreamState>(StringComparer.Ordinal);
        }

        var parameters = new { UserIds = userIds as string[] ?? [.. userIds] };
        return await RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<StreamStatesRow>(new CommandDefinition(PostgresSql.StreamStates, parameters, cancellationToken: ct));
                return (IReadOnlyDictionary<string, UserStreamState>)rows.ToDictionary(
                    static row => row.UserId, static row => new UserStreamState(row.LastSeq, row.AckedSeq, row.PrunedSeq), StringComparer.Ordinal);
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, long>> GetStreamHeadsAsync(IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return new Dictionary<string, long>(StringComparer.Ordinal);
        }

        var parameters = new { UserIds = userIds as string[] ?? [.. userIds] };
        return await RunAsync(
            async (connection, ct) =>
            {
                var rows = await connection.QueryAsync<StreamHeadRow>(new CommandDefinition(PostgresSql.StreamHeads, parameters, cancellationToken: ct));
                return (IReadOnlyDictionary<string, long>)rows.ToDictionary(static row => row.UserId, static row => row.LastSeq, StringComparer.Ordinal);
            },
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public async Task AcknowledgeAsync(IReadOnlyCollection<StreamAck> acks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(acks);
        if (acks.Count == 0)
        {
            return;
        }

        var userIds = new string[acks.Count];
        var seqs = new long[acks.Count];
        var i = 0;
        foreach (var ack in acks)
        {
            userIds[i] = ack.UserId;
            seqs[i] = ack.Seq;
            i++;
        }

        // Acks only ever raise acked_seq to a given value: running the statement twice is the same as once.
        var parameters = new { UserIds = userIds, Seqs = seqs };
        await RunAsync(
            (connection, ct) => connection.ExecuteAsync(new CommandDefinition(PostgresSql.Acknowledge, parameters, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken);
    }

    /// <inheritdoc />
    public Task PingAsync(CancellationToken cancellationToken) =>
        RunAsync(
            (connection, ct) => connection.ExecuteScalarAsync<int>(new CommandDefinition(PostgresSql.Ping, cancellationToken: ct)),
            OnLostConnection.RetryOnce,
            cancellationToken);

    /// <summary>Closes the connection pool when this store built it (<see cref="Create"/>). Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs one unit of work on a pooled connection and turns "the database is not there" into
    /// <see cref="StoreUnavailableException"/>; every other failure propagates unchanged. The one place every store
    /// call goes through, so a connection lost to a restart is handled the same way on every path.
    /// </summary>
    /// <remarks>
    /// After Postgres restarts or fails over, every idle connection in the pool is dead, and Npgsql cannot know it
    /// without a round trip: the first command on one reads "57P01 terminating connection due to administrator
    /// command", or the socket is found closed (an <see cref="IOException"/>). A connection found dead after it was
    /// opened clears the pool (its siblings are most likely dead too, and each would otherwise cost a caller its
    /// call), and the work runs once more on a new connection when that is safe:
    /// <list type="bullet">
    /// <item>work that is safe to repeat (<see cref="OnLostConnection.RetryOnce"/>): always;</item>
    /// <item>work that is not (<see cref="OnLostConnection.Fail"/>): it runs in a transaction opened here, and only a
    /// loss before its <c>COMMIT</c> was sent is retried, since the server rolls back whatever a dead session left
    /// uncommitted. A loss during the <c>COMMIT</c> leaves the outcome unknown: that, and only that, answers
    /// <see cref="StoreUnavailableException"/> (503), and the caller's idempotency key makes its retry safe. The
    /// transaction costs one round trip (Npgsql sends the <c>BEGIN</c> with the first statement; the <c>COMMIT</c>
    /// is its own), and it is what tells "never committed" from "in doubt": a lone statement's implicit commit
    /// happens on the server between its result and the next message, so a 57P01 read after sending it could have
    /// followed a commit.</item>
    /// </list>
    /// A session found on a server that cannot write (25006, <see cref="PostgresErrors.IsOnStandby"/>: a demoted
    /// primary that a DNS name or proxy still led to) is treated the same way: nothing was written, the pool is
    /// cleared and the work runs once more on a new connection, which goes to the primary.
    /// During a failover every failure is <see cref="StoreUnavailableException"/> (503 with Retry-After), never
    /// another error: no host of a multi-host string is the primary yet ("No suitable host was found",
    /// <see cref="PostgresErrors.IsNoSuitableHost"/>), connections are refused, the promoted server is starting up
    /// (57P03), sessions are ended (57P01, 57P02), the server is read-only (25006), or a <c>COMMIT</c> is in doubt.
    /// One retry: the pool was cleared, so it runs on a new physical connection, and a second loss there is a real
    /// outage, not a stale pool. A connection that cannot even be opened is not retried here, since it was a new
    /// one already. One explicit loop rather than a resilience pipeline (Polly, not referenced by this project): the
    /// retry has no delay and no policy to tune, and whether it is safe turns on where the work stood when the
    /// connection died, which only this loop sees.
    /// </remarks>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, OnLostConnection onLostConnection, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        for (var attempt = 1; ; attempt++)
        {
            var opened = false;
            var commitSent = false;
            try
            {
                T result;
                await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
                {
                    opened = true;
                    if (onLostConnection == OnLostConnection.Fail)
                    {
                        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                        result = await work(connection, cancellationToken);
                        commitSent = true;
                        await transaction.CommitAsync(cancellationToken);
                    }
                    else
                    {
                        result = await work(connection, cancellationToken);
                    }
                }

                MarkAvailable();
                return result;
            }
            catch (Exception exception) when (opened && !cancellationToken.IsCancellationRequested
                && (PostgresErrors.IsConnectionLost(exception) || PostgresErrors.IsOnStandby(exception))
                && attempt < MaxConnectionAttempts && (onLostConnection == OnLostConnection.RetryOnce || !commitSent))
            {
                ClearPool(exception);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && PostgresErrors.IsUnavailable(exception))
            {
                if (opened && (PostgresErrors.IsConnectionLost(exception) || PostgresErrors.IsOnStandby(exception)))
                {
                    ClearPool(exception);
                }

                MarkUnavailable(exception);
                throw new StoreUnavailableException($"The Postgres store is unavailable: {exception.Message}", exception);
            }
            catch (Exception exception) when (exception is PostgresException or IdempotencyConflictException)
            {
                // The server answered (with a refusal): it is reachable again, whatever the request's fate.
                MarkAvailable();
                throw;
            }
        }
    }

    /// <summary>Closes the pool's idle connections, at most once a second.</summary>
    /// <remarks>
    /// One restart makes every concurrent call find a dead connection. The first clears the pool; clearing again for
    /// the others would also close the new connections their retries just opened.
    /// </remarks>
    private void ClearPool(Exception cause)
    {
        var now = Environment.TickCount64;
        var last = Volatile.Read(ref _poolClearedAt);
        if (now - last >= PoolClearIntervalMs && Interlocked.CompareExchange(ref _poolClearedAt, now, last) == last)
        {
            _dataSource.Clear();
            LogConnectionLost(_logger, cause.Message);
        }
    }

    private void MarkUnavailable(Exception exception)
    {
        if (_availability.Fail())
        {
            Volatile.Write(ref _unavailableSince, Environment.TickCount64);
            LogUnavailable(_logger, exception);
        }
    }

    private void MarkAvailable()
    {
        if (_availability.Succeed())
        {
            LogRecovered(_logger, Environment.TickCount64 - Volatile.Read(ref _unavailableSince));
        }
    }

    /// <summary>The schema the tables live in: the first entry of <c>Search Path</c>, or null for the server's default.</summary>
    private static string? SchemaOf(string connectionString)
    {
        var searchPath = new NpgsqlConnectionStringBuilder(connectionString).SearchPath;
        if (string.IsNullOrWhiteSpace(searchPath))
        {
            return null;
        }

        var first = searchPath.Split(',')[0].Trim();
        if (first.Length >= 2 && first[0] == '"' && first[^1] == '"')
        {
            return first[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal);
        }

        // An unquoted identifier is folded to lower case by Postgres; "$user" means the role's own schema.
        return first.Length == 0 || first.StartsWith('$') ? null : first.ToLowerInvariant();
    }
}
