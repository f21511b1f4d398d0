using System.Buffers;
using System.Net.WebSockets;
using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Connections;

public sealed partial class NotificationConnection
{
    // Start small: most client frames are acks and pongs of a few dozen bytes, and an idle socket holds this
    // buffer for its whole life. It grows (pooled) only for a large frame such as an auth refresh.
    private const int InitialReceiveBufferBytes = 128;

    // Written only by the receive loop.
    private long _ackedSeq;
    private SocketTokenBucket _authFrames;

    private async Task ReceiveLoopAsync()
    {
        var maxFrame = _services.Connection.MaxInboundFrameBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferBytes);
        try
        {
            // Runs until the client's close frame or a dead connection. After the server decided to close
            // (a protocol error here, or any RequestClose) it keeps reading but ignores frames: it must read
            // the client's close reply, or aborting the socket would reset the connection and the client
            // could lose the close frame (seeing 1006 instead of the code).
            while (true)
            {
                var count = 0;
                var tooLarge = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxFrame + 1));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    // Abort() ends this receive (see WebSocketTransport.ReceiveAsync for why no token).
                    result = await _transport.ReceiveAsync(buffer.AsMemory(count)).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    count += result.Count;
                    if (count > maxFrame)
                    {
                        // Discard what was read and the rest of the message; only its size mattered.
                        tooLarge = true;
                        count = 0;
                    }
                }
                while (!result.EndOfMessage);

                MarkAlive();
                if (CloseCode != 0)
                {
                    continue;
                }

                if (tooLarge)
                {
                    Log.FrameTooLarge(_services.Logger, ConnectionId, UserId, maxFrame);
                    RequestClose(CloseCodes.MessageTooBig, "frame too large");
                }
                else if (result.MessageType != WebSocketMessageType.Text)
                {
                    Log.MalformedFrame(_services.Logger, ConnectionId, UserId, "binary frame");
                    RequestClose(CloseCodes.MalformedFrame, "frames must be JSON text");
                }
                else if (!ClientFrame.TryParse(buffer.AsSpan(0, count), out var frame, out var error))
                {
                    Log.MalformedFrame(_services.Logger, ConnectionId, UserId, error!);
                    RequestClose(CloseCodes.MalformedFrame, error!);
                }
                else
                {
                    await HandleAsync(frame).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The peer vanished or the connection is being torn down; RunAsync decides what follows.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Acts on one client frame; a violation requests the close itself.</summary>
    private async ValueTask HandleAsync(ClientFrame frame)
    {
        switch (frame.Type)
        {
            case ClientFrameType.Ack:
                if (frame.Seq > LastSentSeq)
                {
                    // Acknowledging a seq this socket never received would mark it delivered for every tab.
                    Log.MalformedFrame(_services.Logger, ConnectionId, UserId, "ack beyond the last sent seq");
                    RequestClose(CloseCodes.MalformedFrame, "ack beyond the last sent seq");
                    return;
                }

                if (frame.Seq > _ackedSeq)
                {
                    _ackedSeq = frame.Seq;
                    _services.Acks.Record(UserId, frame.Seq);
                    _services.Metrics.AckReceived();
                }

                return;
            case ClientFrameType.Auth:
                // Checked before the token: a flood must not cost a signature check per frame.
                var options = _services.Connection;
                if (!_authFrames.TryTake(_services.Time, options.AuthFrameBurst, options.AuthFramesPerMinute))
                {
                    Log.AuthFramesRateLimited(_services.Logger, ConnectionId, UserId, options.AuthFrameBurst, options.AuthFramesPerMinute);
                    RequestClose(CloseCodes.PolicyViolation, "too many auth frames");
                    return;
                }

                await RefreshCredentialAsync(frame.Token!).ConfigureAwait(false);
                return;
        }
    }

    private async ValueTask RefreshCredentialAsync(string token)
    {
        var result = await _services.TokenValidator.ValidateAsync(token, _aborted.Token).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Log.RefreshRejected(_services.Logger, ConnectionId, UserId, result.Error ?? "invalid token");
            if (result.Revoked)
            {
                RequestClose(CloseCodes.SignedOut, "credential revoked");
                return;
            }

            RequestClose(CloseCodes.CredentialExpired, "refreshed credential rejected");
            return;
        }

        if (!string.Equals(result.UserId, UserId, StringComparison.Ordinal))
        {
            Log.RefreshForAnotherUser(_services.Logger, ConnectionId, UserId);
            RequestClose(CloseCodes.PolicyViolation, "credential belongs to another user");
            return;
        }

        Volatile.Write(ref _credentialExpiresAt, result.ExpiresAt!.Value.UtcTicks);
        Volatile.Write(ref _expiryWarned, 0);
        Log.CredentialRefreshed(_services.Logger, ConnectionId, UserId, result.ExpiresAt.Value);
    }
}
