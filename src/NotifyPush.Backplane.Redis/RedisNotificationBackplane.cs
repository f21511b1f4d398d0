using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The Redis pub/sub backplane: one literal channel per user (<c>{prefix}:user:{userId}</c>), over the process's one
/// <see cref="RedisConnection"/>, created in the background so that the server starts while Redis is down.
/// </summary>
/// <remarks>
/// <para>
/// Each wanted user is one subscription in the multiplexer's table with its own <see cref="ChannelMessageQueue"/>,
/// as in SignalR's RedisHubLifetimeManager: the queue hands that user's messages over one at a time in arrival
/// order. The multiplexer reconnects on its own and re-sends every subscription in its table when the
/// subscription connection is back, also those made while Redis was down; the backplane then reports healthy and
/// calls <see cref="IBackplaneListener.OnRestored"/> once, so that the replica catches its users up from the store.
/// </para>
/// <para>
/// A Redis outage is never an error for callers: subscribe and unsubscribe record the intent and return, publish
/// logs once per outage and returns (the store holds the notifications).
/// </para>
/// </remarks>
public sealed partial class RedisNotificationBackplane : INotificationBackplane, IAsyncDisposable
{
    private const int ExpectedConfirmFailures = 2;

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly RedisChannels _channels;
    private readonly int _inlineFrameMaxBytes;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly NotifyPushMetrics? _metrics;

    // The users this replica wants messages for, with their queue; null until the multiplexer exists. Changed only
    // under _gate; read without it by the message handlers, which must never wait for _gate.
    private readonly ConcurrentDictionary<string, ChannelMessageQueue?> _wanted = new(StringComparer.Ordinal);

    // Orders our changes of _wanted with the SUBSCRIBE/UNSUBSCRIBE commands that carry them, and guards the state
    // below. Held only while commands are issued, never while they are awaited.
    private readonly object _gate = new();
    private bool _restoreOwed;                  // under _gate: messages may have been missed since the last OnRestored
    private long _connectionEpoch;              // under _gate: bumped by every connection failure
    private BackplaneHealth _health;            // under _gate

    private readonly CancellationTokenSource _stopping = new();

    // The multiplexer this backplane's handlers are attached to, once the connection created it.
    private volatile ConnectionMultiplexer? _multiplexer;
    private volatile ISubscriber? _subscriber;
    private IBackplaneListener? _listener;
    private readonly LogOnce _publishes = new();
    // Confirms fire-and-forget SUBSCRIBEs with a PING on the subscription connection, answered after them (the
    // multiplexer writes that connection's commands in call order). A subscribe arriving while a PING is in flight
    // waits for the next one, which confirms every SUBSCRIBE issued meanwhile: the same batching as the store's
    // shared reads, with one key, so a reconnect storm costs one PING per batch of handshakes instead of one each.
    private static readonly IReadOnlyDictionary<string, bool> Confirmed = new Dictionary<string, bool> { [string.Empty] = true };
    private readonly CoalescedReads<bool> _confirmations;
    private int _confirmFailures;
    private readonly LogOnce _malformed = new();
    private int _disposed;

    /// <summary>
    /// Creates the backplane over a connection of its own, which it disposes, and starts connecting in the background;
    /// never waits for Redis.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>NotifyPush:Backplane:Configuration</c> is missing or invalid.</exception>
    public RedisNotificationBackplane(IOptions<RedisBackplaneOptions> options, ILogger<RedisNotificationBackplane> logger, TimeProvider timeProvider, NotifyPushMetrics? metrics = null)
        : this(new RedisConnection(options, timeProvider), ownsConnection: true, options, logger, timeProvider, metrics)
    {
    }

    /// <summary>
    /// Creates the backplane over the process's connection (which its owner disposes, after this backplane) and
    /// starts connecting it in the background; never waits for Redis.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection was started by another backplane already.</exception>
    public RedisNotificationBackplane(RedisConnection connection, IOptions<RedisBackplaneOptions> options, ILogger<RedisNotificationBackplane> logger, TimeProvider timeProvider, NotifyPushMetrics? metrics = null)
        : this(connection, ownsConnection: false, options, logger, timeProvider, metrics)
    {
    }

    private RedisNotificationBackplane(RedisConnection connection, bool ownsConnection, IOptions<RedisBackplaneOptions> options, ILogger<RedisNotificationBackplane> logger, TimeProvider timeProvider, NotifyPushMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var settings = options.Value;
        _connection = connection;
        _ownsConnection = ownsConnection;
        _channels = new RedisChannels(settings.ChannelPrefix, sharded: connection.IsCluster);
        _inlineFrameMaxBytes = settings.InlineFrameMaxBytes;
        _owed = new OwedDoorbells(settings.OwedDoorbellCapacity, settings.OwedDoorbellBytes);
        _logger = logger;
        _timeProvider = timeProvider;
        _metrics = metrics;
        metrics?.ObserveOwedDoorbells(() => _owed.Count);
        _health = new BackplaneHealth(false, timeProvider.GetUtcNow(), "connecting");
        _confirmations = new CoalescedReads<bool>(
            async _ =>
            {
                await _subscriber!.PingAsync().ConfigureAwait(false);
                return Confirmed;
            },
            maxBatch: 1);

        // Last: the connection reports to this backplane from now on, from the thread pool.
        connection.Start(this);
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

        ISubscriber? subscriber;
        long epoch;
        lock (_gate)
        {
            if (!_wanted.TryAdd(userId, null))
            {
                return;
            }

            subscriber = _subscriber;
            epoch = _connectionEpoch;
            if (subscriber is not null)
            {
                StartReceivingLocked(subscriber, userId, channel);
            }

            if (subscriber is null || !subscriber.IsConnected())
            {
                // Nothing can confirm the subscription now: it is in the multiplexer's table (or joins it when the
                // multiplexer exists) and is sent on (re)connect, and whatever is published until then is caught
                // up through OnRestored.
                _restoreOwed = true;
                return;
            }
        }

        try
        {
            // The SUBSCRIBE above went out fire-and-forget on the subscription connection; a PING answered on
            // that connection after it proves the server has taken it. Handshakes in flight at once share PINGs.
            await _confirmations.ReadAsync(string.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller takes a subscribe that threw as not done and will not unsubscribe (ConnectionRegistry),
            // so it is undone: the UNSUBSCRIBE follows the SUBSCRIBE on the same connection.
            Undo(userId);
            throw;
        }
        catch (Exception ex)
        {
            // Not rethrown: the subscription stays in the multiplexer's table and the restore confirms it.
            Log.SubscribeFailed(_logger, userId, ex);
            MarkUnconfirmed(epoch, "a SUBSCRIBE was not confirmed");
        }
    }

    public async Task UnsubscribeAsync(string userId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Task? command;
        lock (_gate)
        {
            if (!_wanted.TryRemove(userId, out var queue) || queue is null)
            {
                return;
            }

            command = UnsubscribeLocked(userId, queue);
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
            // Not worth a restore: the queue has left the multiplexer's table, so the channel is not re-sent on
            // reconnect, and should the server still send for it, the message finds no handler.
            Log.UnsubscribeFailed(_logger, userId, ex);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// All PUBLISH commands are issued before any is awaited: the multiplexer writes them to one connection in this
    /// order, which keeps each user's order, and they share round trips. Each frame up to
    /// <see cref="RedisBackplaneOptions.InlineFrameMaxBytes"/> is copied once, into its payload; a larger one is not
    /// sent (the receivers read it from the store), so a large fan-out's batch holds no copy of its payload.
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
            // Failing fast: the command would only wait in the multiplexer's backlog until Redis is back or it
            // times out, and the doorbell rings then anyway.
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
                    payload = RedisMessageCodec.Encode(message, _inlineFrameMaxBytes);
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
            _publishes.Succeed();
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

    /// <summary>
    /// Stops the backplane's own work and detaches it from the multiplexer; closes the connection only when this
    /// backplane created it. Safe to call twice.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        var multiplexer = _multiplexer;
        if (multiplexer is not null)
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
            multiplexer.ConnectionRestored -= OnConnectionRestored;
        }

        if (_ownsConnection)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private void ReportPublishFailure(int messageCount, Exception? exception)
    {
        _metrics?.PublishFailed(messageCount);
        var level = _publishes.Fail() ? LogLevel.Warning : LogLevel.Debug;
        Log.PublishFailed(_logger, level, messageCount, exception);
    }

    private static void ObserveFault(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
