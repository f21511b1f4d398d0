using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

// What the backplane does with the connection's events. The multiplexer (RedisConnection) reconnects by itself and,
// when a subscription connection is established, re-sends every subscription in its table before it raises
// ConnectionRestored. What is left here: turning the connection's progress and the multiplexer's events into the
// backplane's health, and confirming that the subscriptions are back before raising OnRestored once per outage.
public sealed partial class RedisNotificationBackplane : IRedisConnectionObserver
{
    void IRedisConnectionObserver.OnConnecting(string endPoints) => Log.Connecting(_logger, endPoints);

    void IRedisConnectionObserver.OnConnectFailed(TimeSpan retryDelay, Exception exception)
    {
        Log.ConnectFailed(_logger, (long)retryDelay.TotalMilliseconds, exception);
        SetDisconnectedDescription($"cannot connect: {exception.GetType().Name}");
    }

    void IRedisConnectionObserver.OnCredentialsRefused(string endPoints, string reason) => ReportCredentialsRefused(endPoints, reason);

    void IRedisConnectionObserver.OnConnected(ConnectionMultiplexer multiplexer)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            // The connection closes it; nothing of this backplane is left to attach.
            return;
        }

        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        var subscriber = multiplexer.GetSubscriber();
        lock (_gate)
        {
            // The users subscribed before there was a multiplexer.
            foreach (var pair in _wanted)
            {
                if (pair.Value is null)
                {
                    StartReceivingLocked(subscriber, pair.Key, _channels.User(pair.Key));
                }
            }

            _subscriber = subscriber;
            _multiplexer = multiplexer;
        }

        // Also when the connection came up before the handlers were attached, whose event is then missed.
        ObserveFault(ConfirmReceivingAsync());
    }

    /// <summary>
    /// Once the subscription connection is up: proves that the subscriptions the multiplexer re-sent have been
    /// taken, then reports healthy, rings the owed doorbells and, when messages may have been missed, raises
    /// OnRestored once.
    /// </summary>
    private async Task ConfirmReceivingAsync()
    {
        // Several may run at once (both connections report their restore); the lock in TryConfirmReceivingAsync lets
        // one of them report healthy and raise OnRestored, and the others then stop.
        var retryDelay = RedisConnection.FirstRetryDelay;
        try
        {
            while (Volatile.Read(ref _disposed) == 0 && !await TryConfirmReceivingAsync(retryDelay).ConfigureAwait(false))
            {
                var subscriber = _subscriber;
                if (subscriber is null || !subscriber.IsConnected())
                {
                    // Down again: the next ConnectionRestored starts over.
                    return;
                }

                // Up, yet not confirmed (a PING that timed out on a loaded server): retried on a timer, since no
                // event will come.
                await Task.Delay(retryDelay, _timeProvider, _stopping.Token).ConfigureAwait(false);
                retryDelay = RedisConnection.NextRetryDelay(retryDelay);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>True when the backplane receives (or was confirmed meanwhile); false to try again.</summary>
    private async Task<bool> TryConfirmReceivingAsync(TimeSpan retryDelay)
    {
        var subscriber = _subscriber;
        if (subscriber is null || !subscriber.IsConnected())
        {
            return false;
        }

        long epoch;
        int userCount;
        lock (_gate)
        {
            if (_health.IsConnected)
            {
                return true;
            }

            epoch = _connectionEpoch;
            userCount = _wanted.Count;
        }

        try
        {
            // On the subscription connection, after the SUBSCRIBEs the multiplexer re-sent when it was established
            // (and after any a subscribe sent since): once answered, those are in effect on the server.
            await subscriber.PingAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whatever failed, the connection's own events or the caller's timer try again.
            ReportConfirmFailure(retryDelay, ex);
            return false;
        }

        bool notify;
        DateTimeOffset? downSince;
        lock (_gate)
        {
            if (_connectionEpoch != epoch)
            {
                // The connection failed again meanwhile; its restore confirms again.
                return false;
            }

            if (_health.IsConnected)
            {
                return true;
            }

            notify = _restoreOwed;
            _restoreOwed = false;
            downSince = _health.DisconnectedSince;
            _health = new BackplaneHealth(true, null, $"connected to {_connection.EndPoints}");
        }

        _publishes.Succeed();
        Volatile.Write(ref _confirmFailures, 0);
        ObserveFault(RingOwedAsync());
        if (notify)
        {
            var outageMs = downSince is { } since ? (long)(_timeProvider.GetUtcNow() - since).TotalMilliseconds : 0;
            Log.Restored(_logger, userCount, outageMs);
            var listener = Volatile.Read(ref _listener);
            try
            {
                listener?.OnRestored();
            }
            catch (Exception ex)
            {
                // The listener's own failure; the backplane itself is healthy again.
                Log.ListenerFailed(_logger, nameof(IBackplaneListener.OnRestored), ex);
            }
        }
        else
        {
            Log.Connected(_logger, _connection.EndPoints, userCount);
        }

        return true;
    }

    /// <summary>After a subscribe that Redis did not confirm: reports not receiving until a confirmation succeeds.</summary>
    private void MarkUnconfirmed(long epoch, string reason)
    {
        lock (_gate)
        {
            _restoreOwed = true;
            if (_connectionEpoch != epoch || !_health.IsConnected)
            {
                // A connection failure came first; its restore confirms everything.
                return;
            }

            _health = new BackplaneHealth(false, _timeProvider.GetUtcNow(), $"re-subscribing: {reason}");
        }

        ObserveFault(ConfirmReceivingAsync());
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        var endPoint = RedisConnection.DescribeEndPoint(e.EndPoint);
        if (e.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            // After a restart with another password, say: the multiplexer keeps trying, readiness fails meanwhile.
            ReportCredentialsRefused(endPoint, e.Exception?.Message ?? e.FailureType.ToString());
            return;
        }

        bool wasConnected;
        lock (_gate)
        {
            // Either connection: without the interactive one publishes fail, without the subscription one
            // messages are missed. Both come back together with the server, and OnRestored covers either.
            _connectionEpoch++;
            _restoreOwed = true;
            wasConnected = _health.IsConnected;
            _health = new BackplaneHealth(
                false,
                wasConnected ? _timeProvider.GetUtcNow() : _health.DisconnectedSince,
                $"disconnected: {e.FailureType} on {endPoint}/{e.ConnectionType}");
        }

        // Once per outage: both connections (interactive and subscription) report their failure.
        if (wasConnected)
        {
            Log.ConnectionLost(_logger, endPoint, e.ConnectionType, e.FailureType, e.Exception);
        }

        // The multiplexer raises its events on the thread pool: a connection that came back at once can have its
        // ConnectionRestored handled before this failure, and no other restore follows. So the failure confirms too;
        // while the connection is really down, that returns at once and the coming restore confirms.
        if (Volatile.Read(ref _disposed) == 0)
        {
            ObserveFault(ConfirmReceivingAsync());
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Log.ConnectionReestablished(_logger, RedisConnection.DescribeEndPoint(e.EndPoint), e.ConnectionType);
        if (Volatile.Read(ref _disposed) == 0)
        {
            ObserveFault(ConfirmReceivingAsync());
        }
    }

    private void ReportConfirmFailure(TimeSpan retryDelay, Exception? exception)
    {
        // The first attempts after a reconnect may fail as expected while the server is still loading or the other
        // connection is still coming back. Only a confirmation that keeps failing is worth a warning, once per
        // outage.
        var failures = Interlocked.Increment(ref _confirmFailures);
        var level = failures == ExpectedConfirmFailures + 1 ? LogLevel.Warning : LogLevel.Debug;
        Log.ResubscribeFailed(_logger, level, (long)retryDelay.TotalMilliseconds, exception);
    }

    /// <summary>
    /// Redis refused the backplane's user or password: a setting to fix, not an outage to wait out. Readiness fails
    /// until a connection succeeds; the error is logged once until then.
    /// </summary>
    private void ReportCredentialsRefused(string endPoint, string reason)
    {
        bool first;
        lock (_gate)
        {
            _connectionEpoch++;
            _restoreOwed = true;
            first = !_health.CredentialsRefused;
            _health = new BackplaneHealth(
                false,
                _health.IsConnected ? _timeProvider.GetUtcNow() : _health.DisconnectedSince,
                $"authentication failed: Redis refused the user or password of {RedisBackplaneOptionsValidator.ConfigurationKey}",
                CredentialsRefused: true);
        }

        if (first)
        {
            Log.AuthenticationFailed(_logger, endPoint, RedisBackplaneOptionsValidator.ConfigurationKey, reason);
        }
    }

    private void SetDisconnectedDescription(string description)
    {
        lock (_gate)
        {
            _health = _health with { Description = description };
        }
    }
}
