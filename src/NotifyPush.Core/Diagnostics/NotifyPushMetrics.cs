using System.Diagnostics.Metrics;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// The <c>NotifyPush</c> meter: every instrument of the service, named after the OpenTelemetry semantic conventions
/// (dotted lower-case names, UCUM units, <c>{annotations}</c> for counts). One instance per host, from its
/// <see cref="IMeterFactory"/>; docs/operations.md lists what each one measures.
/// </summary>
/// <remarks>
/// No user id, connection id or credential is ever a tag: a tag's values multiply the series an exporter keeps, and
/// the values of these tags are small fixed sets (an outcome, a close code, a store operation). An instrument nobody
/// listens to costs a branch, so the engine records unconditionally.
/// </remarks>
public sealed class NotifyPushMetrics
{
    /// <summary>The meter's name, for <c>AddMeter</c>.</summary>
    public const string MeterName = "NotifyPush";

    /// <summary>
    /// The close code counted for a connection that ended without one being chosen (the peer vanished, the request was
    /// aborted): WebSocket's 1006, which is never sent, only reported.
    /// </summary>
    public const int AbnormalClosure = 1006;

    // Seconds. From well under a millisecond (a commit on an idle store) to the send timeouts of callers.
    private static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    // Notifications per transaction or per store read: one send, a group commit, a replay page.
    private static readonly IReadOnlyList<long> SizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly Counter<long> _handshakes;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _stored;
    private readonly Histogram<long> _commitSize;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _acksReceived;
    private readonly Counter<long> _acksWritten;
    private readonly Histogram<double> _sendDuration;
    private readonly Histogram<double> _deliveryDuration;
    private readonly Counter<long> _replays;
    private readonly Histogram<long> _replaySize;
    private readonly Counter<long> _messagesReceived;
    private readonly Counter<long> _publishFailures;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _webPushes;
    private readonly Counter<long> _positionCheckCatchUps;
    private readonly Histogram<double> _positionCheckDuration;

    // Running totals for the admin view's rates, kept whether or not an exporter listens.
    private long _acceptedTotal;
    private long _deliveredTotal;

    /// <summary>Creates the meter and its instruments.</summary>
    public NotifyPushMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(new MeterOptions(MeterName) { Version = typeof(NotifyPushMetrics).Assembly.GetName().Version?.ToString(3) });

        _handshakes = Meter.CreateCounter<long>("notifypush.handshakes", "{handshake}", "Socket handshakes by outcome: accepted, or the refusal's reason.");
        _closed = Meter.CreateCounter<long>("notifypush.connections.closed", "{connection}", "Sockets closed, by close code (4008: slow consumer).");
        _accepted = Meter.CreateCounter<long>("notifypush.notifications.accepted", "{notification}", "Notifications in 202 answers to sends; an idempotent replay is not counted again.");
        _stored = Meter.CreateCounter<long>("notifypush.notifications.stored", "{notification}", "Notifications committed by the store.");
        _commitSize = Meter.CreateHistogram("notifypush.store.commit.size", "{notification}", "Notifications per store transaction (a group commit holds several sends).", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        _delivered = Meter.CreateCounter<long>("notifypush.notifications.delivered", "{notification}", "Notification frames written to sockets, live (from the backplane) or read from the store (replay, gap fill, catch-up).");
        _acksReceived = Meter.CreateCounter<long>("notifypush.acks.received", "{ack}", "Ack frames that moved a socket's acknowledged seq forward.");
        _acksWritten = Meter.CreateCounter<long>("notifypush.acks.written", "{ack}", "Users' acknowledged seqs written to the store (coalesced per flush).");
        _sendDuration = Meter.CreateHistogram("notifypush.send.duration", "s", "From the send endpoint's start to the store's commit (POST to commit).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _deliveryDuration = Meter.CreateHistogram("notifypush.delivery.duration", "s", "From a notification's createdAt (its POST) to the write of its live frame to a socket.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _replays = Meter.CreateCounter<long>("notifypush.replays", "{read}", "Reads of a user's stream for one socket, by reason: connect (replay), gap (gap fill), catch_up (after a backplane restore).");
        _replaySize = Meter.CreateHistogram("notifypush.replay.size", "{notification}", "Notifications sent by one replay, gap fill or catch-up.", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = SizeBuckets });
        _messagesReceived = Meter.CreateCounter<long>("notifypush.backplane.messages.received", "{message}", "Backplane messages received for a user with a socket on this replica.");
        _publishFailures = Meter.CreateCounter<long>("notifypush.backplane.publish.failures", "{message}", "Messages the backplane could not publish (owed until it is back; receivers fill from the store).");
        _storeDuration = Meter.CreateHistogram("notifypush.store.operation.duration", "s", "Duration of store calls by operation; failed calls carry error.type.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _positionCheckCatchUps = Meter.CreateCounter<long>("notifypush.position_check.catch_ups", "{connection}", "Sockets a position check found behind their stream's head and caught up from the store (their doorbell was lost or late).");
        _positionCheckDuration = Meter.CreateHistogram("notifypush.position_check.duration", "s", "Duration of one position check of every local socket (its batched reads of the stream heads); failed passes carry error.type.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _rateLimited = Meter.CreateCounter<long>("notifypush.rate_limit.refusals", "{request}", "Service API calls refused with 429 by the per-caller rate limit.");
        _webPushes = Meter.CreateCounter<long>("notifypush.web_push.pushes", "{push}", "Web Push requests to push services, by outcome: sent, gone (404/410, subscription removed), retry (429/5xx/no answer), rejected.");
    }

    /// <summary>The <c>NotifyPush</c> meter, for instruments that observe a component's state.</summary>
    public Meter Meter { get; }

    /// <summary>Notifications accepted by this replica since it started.</summary>
    public long AcceptedTotal => Interlocked.Read(ref _acceptedTotal);

    /// <summary>Notification frames this replica wrote to sockets since it started.</summary>
    public long DeliveredTotal => Interlocked.Read(ref _deliveredTotal);

    /// <summary>Whether anyone listens to the delivery latency; reading a notification's createdAt is skipped otherwise.</summary>
    public bool DeliveryDurationEnabled => _deliveryDuration.Enabled;

    /// <summary>Observes this replica's sockets, users, backplane state and waiting doorbells.</summary>
    public void ObserveReplica(Func<int> connections, Func<int> users, INotificationBackplane backplane, Func<int> doorbellsWaiting)
    {
        Meter.CreateObservableUpDownCounter("notifypush.connections", connections, "{connection}", "Open sockets on this replica.");
        Meter.CreateObservableUpDownCounter("notifypush.users", users, "{user}", "Users with at least one open socket on this replica.");
        Meter.CreateObservableGauge("notifypush.backplane.connected", () => backplane.GetHealth().IsConnected ? 1 : 0, "1", "1 while the backplane would deliver what is published now, 0 while it is down.");
        Meter.CreateObservableUpDownCounter("notifypush.doorbells.waiting", doorbellsWaiting, "{message}", "Doorbells of committed notifications not yet handed to the backplane.");
    }

    /// <summary>Observes the doorbells a backplane owes while its broker is down.</summary>
    public void ObserveOwedDoorbells(Func<int> owed) =>
        Meter.CreateObservableUpDownCounter("notifypush.backplane.doorbells.owed", owed, "{message}", "Doorbells the backplane keeps (newest per user) until its broker is back.");

    /// <summary>Counts one socket handshake with its outcome (one of <see cref="HandshakeOutcomes"/>).</summary>
    public void Handshake(string outcome) => _handshakes.Add(1, new KeyValuePair<string, object?>("notifypush.handshake.outcome", outcome));

    /// <summary>Counts one closed socket by its close code.</summary>
    public void ConnectionClosed(int closeCode) => _closed.Add(1, new KeyValuePair<string, object?>("notifypush.close_code", closeCode));

    /// <summary>Counts the notifications of an accepted send and the time it took to commit them.</summary>
    public void SendAccepted(int notifications, TimeSpan elapsed)
    {
        Interlocked.Add(ref _acceptedTotal, notifications);
        _accepted.Add(notifications);
        _sendDuration.Record(elapsed.TotalSeconds);
    }

    /// <summary>Counts notifications a store committed.</summary>
    public void Stored(int notifications) => _stored.Add(notifications);

    /// <summary>Records the number of notifications one store transaction committed.</summary>
    public void Committed(int notifications) => _commitSize.Record(notifications);

    /// <summary>Counts one live notification frame written to a socket and its latency from createdAt (0: unknown).</summary>
    public void DeliveredLive(long createdAtUtcTicks, long nowUtcTicks)
    {
        Interlocked.Increment(ref _deliveredTotal);
        _delivered.Add(1, new KeyValuePair<string, object?>("notifypush.delivery.source", "live"));
        if (createdAtUtcTicks > 0)
        {
            _deliveryDuration.Record(Math.Max(0, nowUtcTicks - createdAtUtcTicks) / (double)TimeSpan.TicksPerSecond);
        }
    }

    /// <summary>Counts one read of a user's stream for a socket and the notifications it sent.</summary>
    public void Replayed(string reason, int notifications)
    {
        var tag = new KeyValuePair<string, object?>("notifypush.replay.reason", reason);
        _replays.Add(1, tag);
        _replaySize.Record(notifications, tag);
        if (notifications > 0)
        {
            Interlocked.Add(ref _deliveredTotal, notifications);
            _delivered.Add(notifications, new KeyValuePair<string, object?>("notifypush.delivery.source", "store"));
        }
    }

    /// <summary>Counts one ack frame that moved a socket forward.</summary>
    public void AckReceived() => _acksReceived.Add(1);

    /// <summary>Counts users' acknowledged seqs written to the store.</summary>
    public void AcksWritten(int count) => _acksWritten.Add(count);

    /// <summary>Counts one backplane message received for a local user.</summary>
    public void MessageReceived() => _messagesReceived.Add(1);

    /// <summary>Counts messages the backplane could not publish.</summary>
    public void PublishFailed(int messages) => _publishFailures.Add(messages);

    /// <summary>Records one store call; <paramref name="errorType"/> is null when it succeeded.</summary>
    public void StoreOperation(string operation, TimeSpan elapsed, string? errorType)
    {
        var operationTag = new KeyValuePair<string, object?>("db.operation.name", operation);
        if (errorType is null)
        {
            _storeDuration.Record(elapsed.TotalSeconds, operationTag);
        }
        else
        {
            _storeDuration.Record(elapsed.TotalSeconds, operationTag, new KeyValuePair<string, object?>("error.type", errorType));
        }
    }

    /// <summary>Records one position-check pass and the sockets it caught up; <paramref name="errorType"/> is null when it completed.</summary>
    public void PositionChecked(TimeSpan elapsed, int catchUps, string? errorType)
    {
        if (catchUps > 0)
        {
            _positionCheckCatchUps.Add(catchUps);
        }

        if (errorType is null)
        {
            _positionCheckDuration.Record(elapsed.TotalSeconds);
        }
        else
        {
            _positionCheckDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("error.type", errorType));
        }
    }

    /// <summary>Counts one service API call refused by the rate limit.</summary>
    public void RateLimited() => _rateLimited.Add(1);

    /// <summary>Counts one request to a push service by its outcome (one of <see cref="WebPushOutcomes"/>).</summary>
    public void WebPush(string outcome) => _webPushes.Add(1, new KeyValuePair<string, object?>("notifypush.web_push.outcome", outcome));

    /// <summary>The values of <c>notifypush.web_push.outcome</c>.</summary>
    public static class WebPushOutcomes
    {
        public const string Sent = "sent";
        public const string Gone = "gone";
        public const string Retry = "retry";
        public const string Rejected = "rejected";
    }

    /// <summary>The values of <c>notifypush.handshake.outcome</c>.</summary>
    public static class HandshakeOutcomes
    {
        public const string Accepted = "accepted";
        public const string Unauthorized = "unauthorized";
        public const string Forbidden = "forbidden";
        public const string TooManySockets = "too_many_sockets";
        public const string RateLimited = "rate_limited";
        public const string Unavailable = "unavailable";
        public const string BadRequest = "bad_request";
    }

    /// <summary>The values of <c>notifypush.replay.reason</c>.</summary>
    public static class ReplayReasons
    {
        public const string Connect = "connect";
        public const string Gap = "gap";
        public const string CatchUp = "catch_up";

        /// <summary>A doorbell that did not carry its frame (a large payload, an owed doorbell): the notification is read from the store.</summary>
        public const string Doorbell = "doorbell";
    }
}
