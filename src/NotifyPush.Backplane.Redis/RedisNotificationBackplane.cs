using System.Collections.Concurrent;
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
    private const int ExpectedResubscribeFailures = 2;

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
    private int _resubscribeFailures;
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
    /// Subscribing a user twice is the same as once. Cancelling while Redis has not confirmed yet undoes the
    /// subscription and throws <see cref="OperationCanceledException"/>.
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
            // The caller takes a subscribe that threw as not done and will not unsubscribe (ConnectionRegistry),
            // so it is undone: the UNSUBSCRIBE follows the SUBSCRIBE on the same connection.
            ObserveFault(command);
            Undo(userId, channel);
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
            catch (Exception)
            {
                // Disposal must not throw; closing a connection that is already broken leaves nothing to release.
            }

            multiplexer.Dispose();
        }

        _stopping.Dispose();
    }

    private void Undo(string userId, RedisChannel channel)
    {
        lock (_gate)
        {
            if (!_wanted.TryGetValue(userId, out var current) || !RedisChannels.AreSame(current, channel))
            {
                return;
            }

            _wanted.TryRemove(userId, out _);
            try
            {
                ObserveFault(_subscriber!.UnsubscribeAsync(channel, _onRedisMessage));
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                Log.UnsubscribeFailed(_logger, userId, ex);
            }
        }
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

    private static void ObserveFault(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
