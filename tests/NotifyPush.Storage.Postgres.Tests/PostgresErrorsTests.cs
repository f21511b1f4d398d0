using System.Net.Sockets;
using Npgsql;

namespace NotifyPush.Storage.Postgres.Tests;

public sealed class PostgresErrorsTests
{
    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    [InlineData(PostgresErrorCodes.QueryCanceled)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction)]
    public void IsUnavailable_WhenTheServerIsGoneOrOverloaded_IsTrue(string sqlState) =>
        Assert.True(PostgresErrors.IsUnavailable(new PostgresException("server says no", "FATAL", "FATAL", sqlState)));

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.SyntaxError)]
    [InlineData(PostgresErrorCodes.InvalidTextRepresentation)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    [InlineData(PostgresErrorCodes.CardinalityViolation)]
    public void IsUnavailable_WhenTheRequestOrCodeIsWrong_IsFalse(string sqlState) =>
        Assert.False(PostgresErrors.IsUnavailable(new PostgresException("bad request", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void IsUnavailable_WhenTheConnectionFailsOrTimesOut_IsTrue()
    {
        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("refused", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("timeout", new TimeoutException())));
        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("broken", new IOException("reset"))));
    }

    [Fact]
    public void IsUnavailable_WhenNoHostOfAMultiHostStringIsThePrimary_IsTrue()
    {
        // As Npgsql reports a failover under way: the old primary refuses, the standby is not promoted yet (or is
        // starting up), or every host was passed over for its last known state.
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var startingUp = new PostgresException("the database system is starting up", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow);
        var inRecovery = new PostgresException("the database system is in recovery mode", "FATAL", "FATAL", PostgresErrorCodes.CannotConnectNow);

        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("No suitable host was found.", new AggregateException(refused))));
        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("No suitable host was found.", new AggregateException(refused, startingUp, inRecovery))));
        Assert.True(PostgresErrors.IsUnavailable(new NpgsqlException("No suitable host was found.")));
    }

    [Fact]
    public void IsUnavailable_WhenAHostOfAMultiHostStringRefusesTheCredentials_IsFalse()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var password = new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword);

        Assert.False(PostgresErrors.IsUnavailable(new NpgsqlException("No suitable host was found.", new AggregateException(refused, password))));
        Assert.False(PostgresErrors.IsUnavailable(new NpgsqlException("No password has been provided.")));
    }

    [Fact]
    public void IsOnStandby_WhenTheServerIsReadOnly_IsTrue()
    {
        Assert.True(PostgresErrors.IsOnStandby(new PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction)));
        Assert.False(PostgresErrors.IsOnStandby(new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation)));
    }

    [Fact]
    public void IsUnavailable_WhenTheExceptionIsNotFromTheDatabase_IsFalse()
    {
        Assert.False(PostgresErrors.IsUnavailable(new InvalidOperationException()));
        Assert.False(PostgresErrors.IsUnavailable(new OperationCanceledException()));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CrashShutdown)]
    [InlineData(PostgresErrorCodes.IdleSessionTimeout)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    public void IsConnectionLost_WhenTheServerEndedTheSession_IsTrue(string sqlState) =>
        Assert.True(PostgresErrors.IsConnectionLost(new PostgresException("terminating connection", "FATAL", "FATAL", sqlState)));

    [Fact]
    public void IsConnectionLost_WhenTheSocketBroke_IsTrue()
    {
        Assert.True(PostgresErrors.IsConnectionLost(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(PostgresErrors.IsConnectionLost(new NpgsqlException("Exception while writing to stream", new IOException("broken pipe"))));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    [InlineData(PostgresErrorCodes.QueryCanceled)]
    [InlineData(PostgresErrorCodes.DeadlockDetected)]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    public void IsConnectionLost_WhenTheSessionLivesOnOrNeverStarted_IsFalse(string sqlState) =>
        Assert.False(PostgresErrors.IsConnectionLost(new PostgresException("no", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void IsConnectionLost_WhenACommandTimedOut_IsFalse() =>
        Assert.False(PostgresErrors.IsConnectionLost(new NpgsqlException("timeout", new TimeoutException())));
}
