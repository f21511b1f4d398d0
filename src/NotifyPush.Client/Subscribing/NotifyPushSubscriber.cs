using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace NotifyPush.Client.Subscribing;

/// <summary>
/// A user's notification socket for apps, workers and tests. <see cref="ReadAllAsync"/> yields every notification of
/// the user once and in seq order, across reconnects: it resumes with <c>since</c> = the last notification the
/// application processed, drops duplicates by seq, and acknowledges a notification once the loop body that got it has
/// run. It answers pings, refreshes the token in-band on <c>token-expiring</c>, reconnects with full-jitter backoff
/// after 1001/1006/1011/1012/4008, with a new token after 4001, and stops with an exception after 4003 (signed out),
/// 1008, 1009 and 4400.
/// </summary>
/// <example>
/// <code>
/// await using var subscriber = new NotifyPushSubscriber(new NotifyPushSubscriberOptions
/// {
///     SocketUri = new Uri("wss://notify.example.com/ws"),
///     TokenProvider = async ct => await auth.GetNotificationTokenAsync(ct),
/// });
/// await foreach (var notification in subscriber.ReadAllAsync(stoppingToken))
/// {
///     Show(notification.Event, notification.Payload); // acknowledged once this body has run
/// }
/// </code>
/// </example>
public sealed partial class NotifyPushSubscriber : IAsyncDisposable
{
    private const long NoPosition = -1;

    private readonly CancellationTokenSource _disposing = new();
    private readonly Lock _stateLock = new();
    private SubscriberState _state = SubscriberState.Idle;
    private long _position;
    private int _reading;
    private Task _running = Task.CompletedTask;
    private volatile SubscriberSocket? _socket;

    /// <summary>Creates a subscriber; nothing connects until <see cref="ReadAllAsync"/> is enumerated.</summary>
    /// <exception cref="ArgumentException">The options are incomplete or invalid.</exception>
    public NotifyPushSubscriber(NotifyPushSubscriberOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _position = options.Since ?? NoPosition;
    }

    /// <summary>A socket was accepted (<c>welcome</c>). Raised on the subscriber's reading thread; an exception from a handler ends the enumeration.</summary>
    public event EventHandler<ConnectedEventArgs>? Connected;

    /// <summary>A socket ended or a handshake failed, and whether (and after what delay) the subscriber reconnects.</summary>
    public event EventHandler<DisconnectedEventArgs>? Disconnected;

    /// <summary>The server finished the replay of a socket (<c>synced</c>); <c>Recovered</c> false means notifications were missed for good.</summary>
    public event EventHandler<SyncedEventArgs>? Synced;

    /// <summary>The subscriber's <see cref="State"/> changed.</summary>
    public event EventHandler<SubscriberStateChangedEventArgs>? StateChanged;

    /// <summary>Where the subscriber is: connecting, syncing, live, reconnecting, stopped.</summary>
    public SubscriberState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>
    /// The seq of the last notification the application processed (or the <c>synced</c> position the server gave);
    /// the resume point of the next connect. Store it to resume after a restart with <see cref="NotifyPushSubscriberOptions.Since"/>.
    /// Null before any.
    /// </summary>
    public long? Position => Interlocked.Read(ref _position) is var position && position == NoPosition ? null : position;

    internal NotifyPushSubscriberOptions Options { get; }

    /// <summary>The position for acks: 0 before any.</summary>
    internal long ProcessedSeq => Math.Max(0, Interlocked.Read(ref _position));

    /// <summary>
    /// Connects and yields the user's notifications in seq order, each once, until <paramref name="cancellationToken"/>
    /// is cancelled, the loop ends (<c>break</c>), or the subscriber is disposed. A notification counts as processed,
    /// and is acknowledged, when the loop asks for the next one or ends, also by an exception in its body. One
    /// enumeration at a time; a later one resumes after <see cref="Position"/>.
    /// </summary>
    /// <exception cref="Problems.NotifyPushSignedOutException">The user was signed out (4003).</exception>
    /// <exception cref="Problems.NotifyPushSocketClosedException">The server closed with 1008, 1009 or 4400, or refused the handshake with 400 or 403.</exception>
    public async IAsyncEnumerable<ReceivedNotification> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        if (Interlocked.CompareExchange(ref _reading, 1, 0) != 0)
        {
            throw new InvalidOperationException("ReadAllAsync is already being enumerated; a subscriber has one reader at a time.");
        }

        var inbound = Channel.CreateBounded<InboundItem>(new BoundedChannelOptions(Options.ReceiveBufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_disposing.Token);
        var running = Task.Run(() => RunAsync(inbound.Writer, stop.Token), CancellationToken.None);
        _running = running;
        var time = Options.TimeProvider;
        var lastAckSignal = time.GetTimestamp();
        var lastHandedOut = ProcessedSeq;
        ReceivedNotification? current = null;
        try
        {
            while (true)
            {
                if (current is not null)
                {
                    // The loop body for `current` has run: it is processed. While more wait in the buffer, the ack
                    // is left to a later one (acks are cumulative), but never for longer than AckInterval.
                    Interlocked.Exchange(ref _position, current.Seq);
                    current = null;
                    if (inbound.Reader.Count == 0 || time.GetElapsedTime(lastAckSignal) >= Options.AckInterval)
                    {
                        _socket?.SignalAck();
                        lastAckSignal = time.GetTimestamp();
                    }
                }

                if (!inbound.Reader.TryRead(out var item))
                {
                    // Throws the exception the connection loop completed the buffer with (signed out, …).
                    if (!await inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield break;
                    }

                    continue;
                }

                if (item.Notification is not { } notification)
                {
                    lastHandedOut = AdoptSyncedPosition(item.SyncedSeq, item.Recovered, lastHandedOut);
                    continue;
                }

                if (notification.Seq <= lastHandedOut)
                {
                    // Already handed out: replayed again by a newer socket that resumed from an older position.
                    continue;
                }

                lastHandedOut = notification.Seq;
                current = notification;
                yield return notification;
            }
        }
        finally
        {
            if (current is not null)
            {
                Interlocked.Exchange(ref _position, current.Seq);
            }

            // Closing acknowledges what was processed, then closes the socket with 1000.
            await stop.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
            stop.Dispose();
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>Stops reading (closing the socket after a last ack) and ends any enumeration.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
        _disposing.Dispose();
    }

    internal void OnWelcome(ConnectedEventArgs args)
    {
        SetState(SubscriberState.Syncing);
        Connected?.Invoke(this, args);
    }

    internal void OnSynced(long seq, bool recovered)
    {
        SetState(SubscriberState.Live);
        Synced?.Invoke(this, new SyncedEventArgs(seq, recovered));
    }

    /// <summary>
    /// At the <c>synced</c> marker, every notification the socket replayed before it was processed. The socket's
    /// position becomes the subscriber's when it is ahead (the store no longer had the seqs in between), or when the
    /// server says the stream is behind the resume point (a reset stream: recovered false, lower seq).
    /// </summary>
    private long AdoptSyncedPosition(long seq, bool recovered, long lastHandedOut)
    {
        var position = Interlocked.Read(ref _position);
        if (position == NoPosition || seq > position || (!recovered && seq < position))
        {
            Interlocked.Exchange(ref _position, seq);
            return seq;
        }

        return lastHandedOut;
    }

    private void SetState(SubscriberState state)
    {
        SubscriberState previous;
        lock (_stateLock)
        {
            previous = _state;
            if (previous == state)
            {
                return;
            }

            _state = state;
        }

        StateChanged?.Invoke(this, new SubscriberStateChangedEventArgs(state, previous));
    }
}
