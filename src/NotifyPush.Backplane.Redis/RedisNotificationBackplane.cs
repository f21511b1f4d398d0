using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Options;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The Redis pub/sub backplane: one literal channel per user (<c>{prefix}:user:{userId}</c>) and one
/// <see cref="ConnectionMultiplexer"/> per process, created in the background so that the server starts while
/// Redis is down.
/// </summary>
/// <remarks>
/// <para>
/// The backplane keeps the set of users it wants messages for itself. After any connection failure it
/// re-subscribes all of them, and only then reports healthy and calls <see cref="IBackplaneListener.OnRestored"/>
/// once, so that the replica catches its users up from the store. StackExchange.Redis 1.x is not relied on for
/// that: it re-sends after a reconnect only the subscriptions whose SUBSCRIBE once reached the server.
/// </para>
/// <para>
/// A Redis outage is never an error for callers: subscribe and unsubscribe record the intent and return, publish
/// logs once per outage and returns (the store holds the notifications).
/// </para>
/// </remarks>
public sealed partial class RedisNotificationBackplane : INotificationBackplane, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly ConfigurationOptions _configuration;
    private readonly RedisChannels _channels;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Action<RedisChannel, RedisValue> _onRedisMessage;

    // The users this replica wants messages for. Changed only under _gate; read without it by the message handler,
    // which must never wait for _gate (it runs on the multiplexer's single, ordered completion worker).
    private readonly ConcurrentDictionary<string, RedisChannel> _wanted = new(StringComparer.Ordinal);

    // Orders our changes of _wanted with the SUBSCRIBE/UNSUBSCRIBE commands that carry them: the multiplexer puts a
    // command on the wire in the order it was issued, so issuing under this lock makes the server's final state for
    // a channel the one of the last change of _wanted, also when a restore runs alongside a subscribe. Held only
    // while commands are issued, never while they are awaited.
    private readonly object _gate = new();
    private bool _subscriptionsLive;            // under _gate: SUBSCRIBEs sent now reach the current connection
    private bool _restoreOwed;                  // under _gate: messages may have been missed since the last restore
    private long _connectionEpoch;              // under _gate: bumped by every connection failure
    private BackplaneHealth _health;            // under _gate

    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _connectionLoop;

    private volatile ConnectionMultiplexer? _multiplexer;
    private volatile ISubscriber? _subscriber;
    private IBackplaneListener? _listener;
    private int _publishFailureLogged;
    private int _resubscribeFailureLogged;
    private int _malformedLogged;
    private int _disposed;

    /// <summary>Creates the backplane and starts connecting in the background; never waits for Redis.</summary>
    /// <exception cref="InvalidOperationException"><c>NotifyPush:Backplane:Configuration</c> is missing or invalid.</exception>
    public RedisNotificationBackplane(IOptions<BackplaneOptions> options, ILogger<RedisNotificationBackplane> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var settings = options.Value;
        if (!RedisBackplaneOptionsValidator.TryParse(settings.Configuration, out var configuration, out var error))
        {
            throw new InvalidOperationException(error);
        }

        // Start-up must not fail, nor wait, because Redis is down: the multiplexer keeps retrying on its own.
        configuration.AbortOnConnectFail = false;

        _configuration = configuration;
        _channels = new RedisChannels(settings.ChannelPrefix);
        _logger = logger;
        _timeProvider = timeProvider;
        _onRedisMessage = OnRedisMessage;
        _health = new BackplaneHealth(false, timeProvider.GetUtcNow(), "connecting");
        _connectionLoop = Task.Run(() => RunConnectionLoopAsync(_stopping.Token));
    }

    public void SetListener(IBackplaneListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (Interlocked.CompareExchange(ref _listener, listener, null) is not null)
        {
            throw new InvalidOperationException("The backplane listener is already set.");
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Cancelling stops the wait for Redis' confirmation but keeps the interest recorded (undo it with
    /// <see cref="UnsubscribeAsync"/>). Subscribing a user twice is the same as once.
    /// </remarks>
    public async Task SubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var channel = _channels.User(userId);

        Task? command = null;
        lock (_gate)
        {
            if (!_wanted.TryAdd(userId, channel))
            {
                return;
            }

            if (!_subscriptionsLive)
            {
                // Redis is down or the subscriptions are being re-established: the restore subscribes this user,
                // and whatever is published until then is caught up through OnRestored.
                _restoreOwed = true;
                return;
            }

            try
            {
                command = _subscriber!.SubscribeAsync(channel, _onRedisMessage);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                Log.SubscribeFailed(_logger, userId, ex);
                MarkSubscriptionsLostLocked("a SUBSCRIBE could not be sent");
            }
        }

        if (command is null)
        {
            Signal();
            return;
        }

        try
        {
            await command.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = command.ContinueWith(
                completed => CheckSubscribed(completed, userId, channel),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw;
        }
        catch (Exception)
        {
            // Observed and reported below.
        }

        CheckSubscribed(command, userId, channel);
    }

    public async Task UnsubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Task? command = null;
        lock (_gate)
        {
            if (!_wanted.TryRemove(userId, out var channel))
            {
                return;
            }

            // Also while Redis is down: removing the entry from the multiplexer's own table keeps it from
            // re-sending the SUBSCRIBE when the connection comes back.
            var subscriber = _subscriber;
            if (subscriber is not null)
            {
                try
                {
                    command = subscriber.UnsubscribeAsync(channel, _onRedisMessage);
                }
                catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
                {
                    Log.UnsubscribeFailed(_logger, userId, ex);
                }
            }
        }

        if (command is null)
        {
            return;
        }

        try
        {
            await command.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ObserveFault(command);
            throw;
        }
        catch (Exception ex)
        {
            // Not worth a restore: should the server still send for this channel, OnRedisMessage drops it because
            // the user is no longer wanted, and the channel is gone with the next reconnect.
            Log.UnsubscribeFailed(_logger, userId, ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// All PUBLISH commands are issued before any is awaited: the multiplexer writes them to one connection in this
    /// order, which keeps each user's order, and they share round trips. Each frame is copied once, into its payload.
    /// </remarks>
    public async Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        if (messages.Count == 0)
        {
            return;
        }

        var multiplexer = _multiplexer;
        var subscriber = _subscriber;
        if (multiplexer is null || subscriber is null || !multiplexer.IsConnected)
        {
            // Failing fast: every command would only fail with "no connection".
            Owe(messages);
            ReportPublishFailure(messages.Count, null);
            return;
        }

        var sends = new List<Task>(messages.Count);
        Task all;
        try
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                RedisChannel channel;
                byte[] payload;
                try
                {
                    channel = _channels.User(message.UserId);
                    payload = RedisMessageCodec.Encode(message);
                }
                catch (ArgumentException ex)
                {
                    // One unroutable user id must not cost the others their doorbell.
                    Log.MessageNotPublishable(_logger, message.UserId?.Length ?? 0, ex);
                    continue;
                }

                sends.Add(subscriber.PublishAsync(channel, payload));
            }

            all = Task.WhenAll(sends);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            ObserveFault(Task.WhenAll(sends));
            Owe(messages);
            ReportPublishFailure(messages.Count, ex);
            return;
        }

        try
        {
            await all.WaitAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _publishFailureLogged, 0);
            if (!_owed.IsEmpty)
            {
                ObserveFault(RingOwedAsync());
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ObserveFault(all);
            throw;
        }
        catch (Exception ex)
        {
            // Not rethrown: the notifications are committed in the store; the doorbells ring again when Redis
            // answers (see OwedDoorbells), and receivers fill any gap from the store.
            Owe(messages);
            ReportPublishFailure(messages.Count, ex);
        }
    }

    public BackplaneHealth GetHealth()
    {
        lock (_gate)
        {
            return _health;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            // Bounded: the loop waits at most for a connect attempt, itself bounded by the connect timeout.
            await _connectionLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var multiplexer = _multiplexer;
        if (multiplexer is not null)
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
            try
            {
                await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // Closing a connection that is already broken has nothing left to release.
            }

            multiplexer.Dispose();
        }

        _stopping.Dispose();
    }

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
        catch (Exception ex) when (ex is RedisException or ArgumentException or System.Net.Sockets.SocketException)
        {
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
        long epoch;
        try
        {
            if (!multiplexer.IsConnected)
            {
                return false;
            }

            // Goes over the subscription connection (1.x pings it with an UNSUBSCRIBE of a random channel).
            await subscriber.PingAsync().ConfigureAwait(false);

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

                _subscriptionsLive = true;
            }

            await Task.WhenAll(commands).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            ObserveFault(Task.WhenAll(commands));
            lock (_gate)
            {
                _subscriptionsLive = false;
            }

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
                lock (_gate)
                {
                    _subscriptionsLive = false;
                }

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
            _health = new BackplaneHealth(true, null, "connected");
        }

        Volatile.Write(ref _publishFailureLogged, 0);
        Volatile.Write(ref _resubscribeFailureLogged, 0);
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

    /// <summary>After a direct SUBSCRIBE: when it did not take, re-subscribes everyone through the restore.</summary>
    private void CheckSubscribed(Task command, string userId, RedisChannel channel)
    {
        Exception? failure = command.IsFaulted ? command.Exception!.GetBaseException() : null;
        if (failure is null && !command.IsCanceled)
        {
            // A SubscribeAsync that found no connected server completes without sending anything (1.x).
            if (!_wanted.TryGetValue(userId, out var current) || !RedisChannels.AreSame(current, channel)
                || _subscriber?.SubscribedEndpoint(channel) is not null)
            {
                return;
            }
        }

        Log.SubscribeFailed(_logger, userId, failure);
        lock (_gate)
        {
            MarkSubscriptionsLostLocked("a SUBSCRIBE did not take");
        }

        Signal();
    }

    private void MarkSubscriptionsLostLocked(string reason)
    {
        _subscriptionsLive = false;
        _restoreOwed = true;
        if (_health.IsConnected)
        {
            _health = new BackplaneHealth(false, _timeProvider.GetUtcNow(), $"re-subscribing: {reason}");
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

    private void OnRedisMessage(RedisChannel channel, RedisValue value)
    {
        byte[]? payload = value;
        if (!RedisMessageCodec.TryDecode(payload, out var message, out var reason))
        {
            ReportMalformed(channel, payload?.Length ?? 0, reason);
            return;
        }

        if (!_wanted.TryGetValue(message.UserId, out var expected))
        {
            // Unsubscribed while the message was in flight.
            return;
        }

        if (!RedisChannels.AreSame(channel, expected))
        {
            ReportMalformed(channel, payload!.Length, "its user id is not the channel's");
            return;
        }

        var listener = Volatile.Read(ref _listener);
        try
        {
            listener?.OnMessage(message);
        }
        catch (Exception ex)
        {
            // Swallowed by the multiplexer otherwise; one user's failure must not stop the others' messages.
            Log.ListenerFailed(_logger, nameof(IBackplaneListener.OnMessage), ex);
        }
    }

    private void ReportMalformed(RedisChannel channel, int length, string reason)
    {
        var level = Interlocked.Exchange(ref _malformedLogged, 1) == 0 ? LogLevel.Warning : LogLevel.Debug;
        Log.MessageMalformed(_logger, level, length, (string?)channel ?? string.Empty, reason);
    }

    private void ReportPublishFailure(int messageCount, Exception? exception)
    {
        var level = Interlocked.Exchange(ref _publishFailureLogged, 1) == 0 ? LogLevel.Warning : LogLevel.Debug;
        Log.PublishFailed(_logger, level, messageCount, exception);
    }

    private void ReportResubscribeFailure(TimeSpan retryDelay, Exception? exception)
    {
        var level = Interlocked.Exchange(ref _resubscribeFailureLogged, 1) == 0 ? LogLevel.Warning : LogLevel.Debug;
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

    private static void ObserveFault(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static string DescribeEndPoints(EndPointCollection endPoints) =>
        string.Join(",", endPoints.Select(DescribeEndPoint));

    private static string DescribeEndPoint(EndPoint? endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "(unknown)",
        _ => endPoint.ToString() ?? "(unknown)",
    };
}
