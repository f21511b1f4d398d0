using System.Net;
using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

// The connection's lifetime: connecting in the background, reacting to failures, re-subscribing and restoring.
public sealed partial class RedisNotificationBackplane
{
    private async Task RunConnectionLoopAsync(CancellationToken stopping)
    {
        var retryDelay = FirstRetryDelay;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                bool ok;
                if (_multiplexer is null)
                {
                    ok = await TryConnectAsync(retryDelay, stopping).ConfigureAwait(false);
                }
                else if (NeedsResubscribe())
                {
                    ok = await TryResubscribeAsync(retryDelay).ConfigureAwait(false);
                }
                else
                {
                    retryDelay = FirstRetryDelay;
                    await _wake.WaitAsync(stopping).ConfigureAwait(false);
                    DrainSignals();
                    continue;
                }

                if (ok)
                {
                    retryDelay = FirstRetryDelay;
                    continue;
                }

                // Retried on a timer as well as on the connection events, so a missed or early event cannot
                // leave the subscriptions down.
                await _wake.WaitAsync(retryDelay, stopping).ConfigureAwait(false);
                DrainSignals();
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> TryConnectAsync(TimeSpan retryDelay, CancellationToken stopping)
    {
        Log.Connecting(_logger, DescribeEndPoints(_configuration.EndPoints));
        ConnectionMultiplexer multiplexer;
        try
        {
            // With AbortOnConnectFail off this returns after the connect timeout even when Redis is down, with a
            // multiplexer that keeps reconnecting; the events below then drive the restore.
            multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Retried by the loop, whatever it was: start-up must not depend on Redis.
            Log.ConnectFailed(_logger, (long)retryDelay.TotalMilliseconds, ex);
            SetDisconnectedDescription($"cannot connect: {ex.GetType().Name}");
            return false;
        }

        if (stopping.IsCancellationRequested)
        {
            multiplexer.Dispose();
            return false;
        }

        // Message handlers then run one at a time in arrival order, which keeps each user's publish order.
        multiplexer.PreserveAsyncOrder = true;
        multiplexer.ConnectionFailed += OnConnectionFailed;
        multiplexer.ConnectionRestored += OnConnectionRestored;
        _subscriber = multiplexer.GetSubscriber();
        _multiplexer = multiplexer;
        return true;
    }

    private bool NeedsResubscribe()
    {
        lock (_gate)
        {
            return !_subscriptionsLive;
        }
    }

    /// <summary>
    /// Re-subscribes every wanted user on the current connection; on success reports healthy and, when messages
    /// may have been missed, raises OnRestored once.
    /// </summary>
    private async Task<bool> TryResubscribeAsync(TimeSpan retryDelay)
    {
        var multiplexer = _multiplexer!;
        var subscriber = _subscriber!;
        var commands = new List<Task>();
        var resubscribed = new List<KeyValuePair<string, RedisChannel>>();
        long epoch = -1;
        try
        {
            if (!multiplexer.IsConnected)
            {
                // Still down; nothing to log until the multiplexer has a connection again.
                return false;
            }

            lock (_gate)
            {
                epoch = _connectionEpoch;
                foreach (var pair in _wanted)
                {
                    // Removing our handler drops the multiplexer's entry for the channel (which may have been
                    // recorded while Redis was down and so never be re-sent), and adding it creates a fresh one:
                    // UNSUBSCRIBE then SUBSCRIBE, in that order, on the subscription connection. A plain second
                    // SubscribeAsync would only attach the handler twice.
                    commands.Add(subscriber.UnsubscribeAsync(pair.Value, _onRedisMessage));
                    commands.Add(subscriber.SubscribeAsync(pair.Value, _onRedisMessage));
                    resubscribed.Add(pair);
                }

                // From here on, subscribe sends its own SUBSCRIBE, after the ones above.
                _subscriptionsLive = true;
            }

            await Task.WhenAll(commands).ConfigureAwait(false);

            // After the SUBSCRIBEs, on the subscription connection (1.x pings it with an UNSUBSCRIBE of a random
            // channel): proves that connection is up also when there was no user to re-subscribe.
            await subscriber.PingAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Whatever failed, the loop must live on and try again: the backplane is useless without it.
            ObserveFault(Task.WhenAll(commands));
            AbandonRestore();
            ReportResubscribeFailure(retryDelay, ex);
            return false;
        }

        // A SubscribeAsync that found no connected server completes without sending anything (1.x); only a
        // channel with a subscribed endpoint is really subscribed.
        foreach (var pair in resubscribed)
        {
            if (_wanted.TryGetValue(pair.Key, out var current) && RedisChannels.AreSame(current, pair.Value)
                && subscriber.SubscribedEndpoint(pair.Value) is null)
            {
                AbandonRestore();
                ReportResubscribeFailure(retryDelay, null);
                return false;
            }
        }

        bool notify;
        DateTimeOffset? downSince;
        lock (_gate)
        {
            if (_connectionEpoch != epoch || !_subscriptionsLive)
            {
                // The connection failed again meanwhile; the loop tries again.
                return false;
            }

            notify = _restoreOwed;
            _restoreOwed = false;
            downSince = _health.DisconnectedSince;
            _health = new BackplaneHealth(true, null, $"connected to {DescribeEndPoints(_configuration.EndPoints)}");
        }

        Volatile.Write(ref _publishFailureLogged, 0);
        Volatile.Write(ref _resubscribeFailures, 0);
        ObserveFault(RingOwedAsync());
        var outageMs = downSince is { } since ? (long)(_timeProvider.GetUtcNow() - since).TotalMilliseconds : 0;
        if (notify)
        {
            Log.Restored(_logger, resubscribed.Count, outageMs);
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
            Log.Connected(_logger, DescribeEndPoints(_configuration.EndPoints), resubscribed.Count);
        }

        return true;
    }

    private void AbandonRestore()
    {
        lock (_gate)
        {
            if (_subscriptionsLive)
            {
                // Subscribes may have gone out directly since the restore began; they are redone next time.
                _subscriptionsLive = false;
                _restoreOwed = true;
            }
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        var endPoint = DescribeEndPoint(e.EndPoint);
        bool wasConnected;
        lock (_gate)
        {
            _connectionEpoch++;
            _subscriptionsLive = false;
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

        Signal();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        Log.ConnectionReestablished(_logger, DescribeEndPoint(e.EndPoint), e.ConnectionType);
        Signal();
    }

    private void ReportResubscribeFailure(TimeSpan retryDelay, Exception? exception)
    {
        // The first attempts after a reconnect often fail as expected: the interactive connection is usually back
        // before the subscription one. Only a restore that keeps failing is worth a warning, once per outage.
        var failures = Interlocked.Increment(ref _resubscribeFailures);
        var level = failures == ExpectedResubscribeFailures + 1 ? LogLevel.Warning : LogLevel.Debug;
        Log.ResubscribeFailed(_logger, level, (long)retryDelay.TotalMilliseconds, exception);
    }

    private void SetDisconnectedDescription(string description)
    {
        lock (_gate)
        {
            _health = _health with { Description = description };
        }
    }

    private void Signal()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _wake.Release();
        }
    }

    private void DrainSignals()
    {
        while (_wake.Wait(0))
        {
        }
    }

    private static string DescribeEndPoints(EndPointCollection endPoints) =>
        string.Join(",", endPoints.Select(DescribeEndPoint));

    private static string DescribeEndPoint(EndPoint? endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "(unknown)",
        _ => endPoint.ToString() ?? "(unknown)",
    };
}
