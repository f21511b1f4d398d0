using System.Buffers;
using System.Net.WebSockets;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Connections;

public sealed partial class NotificationConnection
{
    // UTC ticks at which the write in progress started, 0 between writes. The heartbeat enforces the send timeout
    // from it (SignalR's HttpConnectionContext does the same), so an idle socket holds no timer or token source.
    private long _writeStartedAt;

    // A gap fill that finds a seq missing which the store does not report removed reads again this many times in all
    // (waiting FillRetryDelay, then twice that), then closes the socket with 1011.
    private const int FillReadAttempts = 3;
    private static readonly TimeSpan FillRetryDelay = TimeSpan.FromMilliseconds(100);

    private async Task SendLoopAsync(ResumePoint resume)
    {
        try
        {
            await WriteAsync(ServerFrames.Welcome(UserId, ConnectionId, _services.Connection.HeartbeatSeconds)).ConfigureAwait(false);

            var start = await _services.Replay.StartAsync(UserId, resume, _aborted.Token).ConfigureAwait(false);
            _cursor.StartAfter(start.ResumeAfter);

            // Live frames published since the registry subscribed wait in the queue meanwhile; the loop below drops
            // the ones this replay already sent. Those that did not fit in the queue are read from the store again.
            // With nothing stored after the resume point when the state was read, there is nothing to read: the
            // subscription was confirmed before, so whatever is committed since arrives as a live frame (and a gap in
            // those is filled from the store as always). Most sockets connect that way, one store query fewer each.
            var replayHadHoles = start.LastSeq > start.ResumeAfter && await FillFromStoreAsync(long.MaxValue, NotifyPushMetrics.ReplayReasons.Connect).ConfigureAwait(false);
            if (_cursor.GoLive())
            {
                replayHadHoles |= await FillFromStoreAsync(long.MaxValue, NotifyPushMetrics.ReplayReasons.Connect).ConfigureAwait(false);
            }

            // Replay read to the end of what is stored, and everything up to PrunedSeq is gone: the socket's
            // position is there, so synced tells the client where the stream stands.
            _cursor.SkipPruned(start.PrunedSeq, long.MaxValue);

            var recovered = start.Recovered && !replayHadHoles;
            if (CloseCode == 0)
            {
                // The position rides along as the frame's seq: over Server-Sent Events it is the event id, so a browser's
                // own reconnect resumes after it even when no notification came.
                await WriteAsync(ServerFrames.Synced(LastSentSeq, recovered), LastSentSeq).ConfigureAwait(false);
                Log.Synced(_services.Logger, ConnectionId, UserId, start.ResumeAfter, LastSentSeq, recovered);
            }

            var reader = _queue.Reader;
            // Not cancellable for the same reason as the receive: Abort() completes the queue instead.
            while (CloseCode == 0 && await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                // Several frames waiting: they go out in one write (a fan-out burst, a backlog after a stall).
                var corked = _coalescer is not null && reader.Count > 1;
                if (corked)
                {
                    _coalescer!.Cork();
                }

                while (CloseCode == 0 && reader.TryRead(out var message))
                {
                    Interlocked.Add(ref _queuedBytes, -message.Length);
                    await ProcessAsync(message).ConfigureAwait(false);
                }

                if (corked)
                {
                    await UncorkAsync().ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer went away, the request was aborted, or the heartbeat aborted a write that took too long (it
            // chose the close code first); there is nobody to send a close frame to.
            RequestClose(CloseCodes.GoingAway, "connection lost");
            return;
        }
        catch (StoreUnavailableException ex)
        {
            // Without the store the order guarantee cannot be kept: close so the client resumes (elsewhere) with since.
            Log.StoreUnavailableDuringDelivery(_services.Logger, ConnectionId, UserId, ex.Message);
            RequestClose(CloseCodes.InternalError, "store unavailable");
        }
        catch (Exception ex)
        {
            // A bug or an unexpected store error: the client still gets a close code it can act on (resume with since).
            Log.DeliveryFailed(_services.Logger, ex, ConnectionId, UserId);
            RequestClose(CloseCodes.InternalError, "internal error");
        }

        await CloseOutputAsync().ConfigureAwait(false);
    }

    private async ValueTask ProcessAsync(OutboundMessage message)
    {
        switch (message.Kind)
        {
            case OutboundKind.Notification:
                var last = LastSentSeq;
                var verdict = _cursor.Classify(message.Seq);
                if (verdict == LiveFrame.AlreadySent)
                {
                    return; // Already sent by replay or by an earlier catch-up.
                }

                if (verdict == LiveFrame.AfterAGap)
                {
                    // The backplane lost or reordered something, or the seq is not one of this stream at all: whoever
                    // can publish to the backplane can send any seq. The store decides: the fill sends every seq up to
                    // this frame's own from the rows it reads, and a seq the store does not hold is never written nor
                    // taken as the socket's position, so a forged seq cannot make the socket drop what follows.
                    Log.GapDetected(_services.Logger, ConnectionId, UserId, last, message.Seq);
                    await FillFromStoreAsync(message.Seq, NotifyPushMetrics.ReplayReasons.Gap).ConfigureAwait(false);
                    if (CloseCode == 0 && LastSentSeq < message.Seq)
                    {
                        Log.LiveSeqNotStored(_services.Logger, ConnectionId, UserId, message.Seq, LastSentSeq);
                    }

                    return;
                }

                MarkSent(message.Seq);
                await WriteAsync(message.Frame, message.FrameTail, message.Seq).ConfigureAwait(false);
                _services.Metrics.DeliveredLive(message.CreatedAtUtcTicks, message.CreatedAtUtcTicks == 0 ? 0 : _services.Time.GetUtcNow().UtcTicks);
                return;
            case OutboundKind.CatchUp:
                await FillFromStoreAsync(long.MaxValue, NotifyPushMetrics.ReplayReasons.CatchUp).ConfigureAwait(false);
                return;
            case OutboundKind.Doorbell:
                // The frame was not carried: the store has it (committed before the doorbell rang).
                if (message.Seq > LastSentSeq)
                {
                    await FillFromStoreAsync(long.MaxValue, NotifyPushMetrics.ReplayReasons.Doorbell).ConfigureAwait(false);
                }

                return;
            default:
                await WriteAsync(message.Frame).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>
    /// Sends every stored notification after the last sent seq up to <paramref name="upTo"/>; returns true when a seq
    /// was skipped (the client will not get it).
    /// </summary>
    /// <remarks>
    /// Only a seq the store reports gone is skipped: a row it returns expired, or a seq at or below the stream's pruned
    /// seq. Any other seq the read did not return (a row the read missed, or one not yet visible to it) is read again,
    /// <see cref="FillReadAttempts"/> times in all, and then the socket closes with 1011 so the client resumes with
    /// since; moving past it would let the client acknowledge a notification it never got. A seq above the stream's
    /// head is not in the store at all (a live frame's seq nobody committed): nothing is sent for it and the position
    /// stays where the store's rows put it.
    /// </remarks>
    /// <param name="upTo">The highest seq to send; <see cref="long.MaxValue"/> for everything stored.</param>
    /// <param name="reason">Why the store is read, for metrics (<see cref="NotifyPushMetrics.ReplayReasons"/>).</param>
    private async Task<bool> FillFromStoreAsync(long upTo, string reason)
    {
        var sawHole = false;
        for (var attempt = 1; ; attempt++)
        {
            // Read only when a seq is missing, and at most once per read of the rows.
            UserStreamState? state = null;
            var missing = false;
            var sent = 0;
            _coalescer?.Cork();
            try
            {
                await foreach (var row in _services.Replay.ReadAsync(UserId, LastSentSeq, upTo, _aborted.Token).ConfigureAwait(false))
                {
                    if (CloseCode != 0)
                    {
                        return sawHole;
                    }

                    if (!_cursor.IsNext(row.Seq))
                    {
                        state ??= await _services.Replay.GetStateAsync(UserId, _aborted.Token).ConfigureAwait(false);
                        sawHole |= _cursor.SkipPruned(state.Value.PrunedSeq, row.Seq - 1);
                        if (!_cursor.IsNext(row.Seq))
                        {
                            missing = true;
                            break;
                        }
                    }

                    if (_services.Replay.IsExpired(row))
                    {
                        // Expired, not yet removed: never delivered, and the store says so.
                        _cursor.SkipExpired(row.Seq);
                        sawHole = true;
                        continue;
                    }

                    MarkSent(row.Seq);
                    await WriteAsync(ServerFrames.Notification(row), row.Seq).ConfigureAwait(false);
                    sent++;
                }
            }
            finally
            {
                _services.Metrics.Replayed(reason, sent);
                // Also when the read failed: what was gathered is sent (or the socket is gone anyway).
                await UncorkAsync().ConfigureAwait(false);
            }

            if (!missing && upTo != long.MaxValue && LastSentSeq < upTo && CloseCode == 0)
            {
                // Seqs up to upTo after the last row read: removed ones are skipped, those above the stream's head
                // were never committed (nothing to send, nothing to move past), and the rest the read missed.
                state ??= await _services.Replay.GetStateAsync(UserId, _aborted.Token).ConfigureAwait(false);
                missing = _cursor.MissesAfterRead(upTo, state.Value, out var skipped);
                sawHole |= skipped;
            }

            if (!missing || CloseCode != 0)
            {
                return sawHole;
            }

            if (attempt == FillReadAttempts)
            {
                Log.StoreReadIncomplete(_services.Logger, ConnectionId, UserId, LastSentSeq + 1, FillReadAttempts);
                RequestClose(CloseCodes.InternalError, "store read incomplete");
                return sawHole;
            }

            await Task.Delay(FillRetryDelay * attempt, _services.Time, _aborted.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Records <paramref name="seq"/> as sent just before its frame is written (<see cref="DeliveryCursor.MarkSent"/>).</summary>
    private void MarkSent(long seq) => _cursor.MarkSent(seq);

    /// <summary>Writes the frames gathered since the cork, under the same send timeout as any write.</summary>
    private async ValueTask UncorkAsync()
    {
        if (_coalescer is null)
        {
            return;
        }

        Volatile.Write(ref _writeStartedAt, _services.Time.GetUtcNow().UtcTicks);
        await _coalescer.UncorkAsync().ConfigureAwait(false);
        Volatile.Write(ref _writeStartedAt, 0);
    }

    /// <summary>
    /// Writes a frame given as its own head and a tail shared with other recipients, as one frame of the transport. The two
    /// are joined in a pooled buffer for the write only: the whole frame exists once per socket being written, never
    /// once per recipient waiting.
    /// </summary>
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> tail, long seq)
    {
        if (tail.IsEmpty)
        {
            await WriteAsync(head, seq).ConfigureAwait(false);
            return;
        }

        var length = head.Length + tail.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            head.Span.CopyTo(buffer);
            tail.Span.CopyTo(buffer.AsSpan(head.Length));
            await WriteAsync(buffer.AsMemory(0, length), seq).ConfigureAwait(false);
        }
        finally
        {
            // The transport has copied the frame into its own send buffer once SendAsync completed (or failed).
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <param name="frame">One whole frame.</param>
    /// <param name="seq">The seq the frame carries (a notification's, synced's position), otherwise 0: the event id over SSE.</param>
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> frame, long seq = 0)
    {
        Volatile.Write(ref _writeStartedAt, _services.Time.GetUtcNow().UtcTicks);
        await _transport.SendAsync(frame, seq).ConfigureAwait(false);
        Volatile.Write(ref _writeStartedAt, 0);
    }

    /// <summary>Called by the heartbeat when the write in progress exceeded the send timeout: aborts the socket.</summary>
    private void OnWriteTimedOut()
    {
        // A write cut off midway leaves the WebSocket unusable: no close frame can follow, so abort.
        Log.SendTimedOut(_services.Logger, ConnectionId, UserId, _services.Connection.SendTimeoutSeconds);
        RequestClose(CloseCodes.GoingAway, "send timeout");
        Abort();
    }

    private async Task CloseOutputAsync()
    {
        if (!_transport.CanClose)
        {
            return;
        }

        var code = CloseCode == 0 ? CloseCodes.Normal : CloseCode;
        // Once per socket, at its end: a token source of its own costs nothing while the socket is idle.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(_services.Connection.CloseTimeoutSeconds), _services.Time);
        try
        {
            await _transport.CloseOutputAsync(code, _closeReason, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer is gone or too slow to take the close frame; RunAsync aborts the socket.
            Abort();
        }
    }
}
