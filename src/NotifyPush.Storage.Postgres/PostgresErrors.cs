using System.Net.Sockets;
using Npgsql;

namespace NotifyPush.Storage.Postgres;

/// <summary>Sorts Postgres failures into "the store is unavailable, retry later" and everything else.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// True for failures that say nothing about the request itself: the server cannot be reached, is
    /// shutting down or starting, is out of connections or resources, or did not answer in time.
    /// </summary>
    /// <remarks>
    /// Constraint violations, syntax errors and invalid input are bugs or bad data and must propagate
    /// unchanged: retrying them would fail the same way. Serialization failures and deadlocks are
    /// transient by Npgsql's reckoning and nothing was committed, so a retry is the right answer too.
    /// </remarks>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || IsUnavailableState(postgres.SqlState),
        NpgsqlException npgsql when IsNoSuitableHost(npgsql) => true,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is TimeoutException or SocketException or IOException,
        TimeoutException or SocketException => true,
        _ => false,
    };

    /// <summary>
    /// True when the connection a command ran on is gone, while the server may well be there: it ended the session
    /// (restart, fast shutdown, failover, <c>pg_terminate_backend</c>, idle session timeout) or the socket broke.
    /// After a restart every connection in the pool is like this, though a new one works.
    /// </summary>
    /// <remarks>
    /// Timeouts are not included: the statement may still be running, and trying again would double the wait.
    /// Whether the work took effect is unknown: only work that is safe to repeat may be retried on these.
    /// </remarks>
    public static bool IsConnectionLost(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception class
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.IdleSessionTimeout,
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException, // EndOfStreamException is an IOException
        _ => false,
    };

    /// <summary>
    /// True when a multi-host connection string found no server to open a session on that is the primary: during a
    /// failover, the old primary refuses connections (or is gone) and the standby is not promoted yet, or was seen as a
    /// standby less than <c>Host Recheck Seconds</c> ago. Npgsql says "No suitable host was found", with the hosts'
    /// own failures in an <see cref="AggregateException"/> (the standby's "not the primary" is no failure and is not
    /// among them), or with none when every host was passed over for its last known state.
    /// </summary>
    /// <remarks>
    /// Unavailable when every host's failure is (refused, reset, starting up, in recovery, timed out). When every
    /// host failed with the same server error, Npgsql throws that error itself, which <see cref="IsUnavailable"/>
    /// sorts by its SQLSTATE: 57P03 "the database system is starting up" is unavailable, a wrong password is not.
    /// </remarks>
    public static bool IsNoSuitableHost(NpgsqlException exception) =>
        exception is not PostgresException
        && exception.GetType() == typeof(NpgsqlException)
        && exception.InnerException switch
        {
            null => exception.Message.StartsWith("No suitable host", StringComparison.Ordinal),
            AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnavailable),
            _ => false,
        };

    /// <summary>
    /// True when the session is on a server that cannot write: 25006 read_only_sql_transaction, a standby not
    /// promoted yet, or a demoted primary that a DNS name or proxy still pointed at. Nothing was written; the pool's
    /// other sessions are most likely on that server too.
    /// </summary>
    public static bool IsOnStandby(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction };

    /// <summary>True when a unique index of the given name rejected a row.</summary>
    public static bool IsUniqueViolation(Exception exception, string constraintName) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } postgres
        && string.Equals(postgres.ConstraintName, constraintName, StringComparison.Ordinal);

    private static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception class
        || sqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources class, incl. too many connections
        || sqlState is PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.IdleSessionTimeout
            or PostgresErrorCodes.DatabaseDropped
            or PostgresErrorCodes.ReadOnlySqlTransaction // a failover left us on a standby
            or PostgresErrorCodes.QueryCanceled // statement_timeout; the caller's own cancellation surfaces as OperationCanceledException
            or PostgresErrorCodes.SerializationFailure
            or PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.LockNotAvailable;
}
