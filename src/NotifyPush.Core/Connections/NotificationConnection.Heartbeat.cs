using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Connections;

public sealed partial class NotificationConnection
{
    // Timer state in UTC ticks, driven by HeartbeatService so one timer serves every socket.
    private long _nextPingAt;
    private long _pingOutstandingSince;
    private long _credentialExpiresAt;
    private int _expiryWarned;
    private int _writeTimedOut;

    // Any client frame proves the client is alive, not only pong.
    private void MarkAlive() => Volatile.Write(ref _pingOutstandingSince, 0);

    /// <summary>Advances this socket's timers: pings, the pong deadline and the credential's expiry.</summary>
    internal void OnHeartbeat(DateTimeOffset now)
    {
        var nowTicks = now.UtcTicks;
        var options = _services.Connection;

        // Checked before the close state: a write stuck on a slow client is what fills the queue and requests 4008,
        // and it still has to be cut off.
        var writeStartedAt = Volatile.Read(ref _writeStartedAt);
        if (writeStartedAt != 0 && nowTicks - writeStartedAt > TimeSpan.FromSeconds(options.SendTimeoutSeconds).Ticks
            && Interlocked.Exchange(ref _writeTimedOut, 1) == 0)
        {
            OnWriteTimedOut();
            return;
        }

        if (CloseCode != 0)
        {
            return;
        }

        var expiresAt = Volatile.Read(ref _credentialExpiresAt);
        if (expiresAt != 0)
        {
            if (nowTicks >= expiresAt)
            {
                Log.CredentialExpired(_services.Logger, ConnectionId, UserId);
                RequestClose(CloseCodes.CredentialExpired, "credential expired");
                return;
            }

            var warnAt = expiresAt - TimeSpan.FromSeconds(options.TokenExpiryWarningSeconds).Ticks;
            if (nowTicks >= warnAt && Interlocked.Exchange(ref _expiryWarned, 1) == 0)
            {
                var inSeconds = (int)Math.Ceiling((expiresAt - nowTicks) / (double)TimeSpan.TicksPerSecond);
                if (!TryEnqueue(new OutboundMessage(OutboundKind.Control, 0, ServerFrames.TokenExpiring(inSeconds))))
                {
                    // The queue was full during replay: warn on the next tick instead.
                    Volatile.Write(ref _expiryWarned, 0);
                }
            }
        }

        var outstanding = Volatile.Read(ref _pingOutstandingSince);
        if (outstanding != 0 && nowTicks - outstanding > TimeSpan.FromSeconds(options.HeartbeatTimeoutSeconds).Ticks)
        {
            Log.HeartbeatTimedOut(_services.Logger, ConnectionId, UserId, options.HeartbeatTimeoutSeconds);
            RequestClose(CloseCodes.GoingAway, "heartbeat timeout");
            return;
        }

        if (nowTicks >= _nextPingAt)
        {
            // A client without a way to answer (Server-Sent Events) owes no pong: the ping only keeps proxies from
            // timing the idle stream out, and a dead peer shows as a failed or timed-out write.
            var outstandingBefore = _transport.CarriesClientFrames ? Interlocked.CompareExchange(ref _pingOutstandingSince, nowTicks, 0) : -1;
            if (TryEnqueue(new OutboundMessage(OutboundKind.Control, 0, ServerFrames.Ping)))
            {
                _nextPingAt = nowTicks + TimeSpan.FromSeconds(options.HeartbeatSeconds).Ticks;
            }
            else if (outstandingBefore == 0)
            {
                // The queue was full during replay: the client was not asked, so it owes no pong; ask on the next tick.
                Interlocked.CompareExchange(ref _pingOutstandingSince, 0, nowTicks);
            }
        }
    }
}
