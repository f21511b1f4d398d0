using System.Buffers;
using System.Net.WebSockets;

namespace NotifyPush.Core.Connections;

public sealed partial class NotificationConnection
{
    // Start small: most client frames are acks and pongs of a few dozen bytes, and an idle socket holds this
    // buffer for its whole life. It grows (pooled) only for a large frame such as an auth refresh.
    private const int InitialReceiveBufferBytes = 512;

    // Written only by the receive loop.
    private long _ackedSeq;

    private async Task ReceiveLoopAsync()
    {
        var maxFrame = _services.Connection.MaxInboundFrameBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferBytes);
        try
        {
            while (true)
            {
                var count = 0;
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

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), _aborted.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    count += result.Count;
                    if (count > maxFrame)
                    {
                        Log.FrameTooLarge(_services.Logger, ConnectionId, UserId, maxFrame);
                        RequestClose(CloseCodes.MessageTooBig, "frame too large");
                        return;
                    }
                }
                while (!result.EndOfMessage);

                MarkAlive();
                if (result.MessageType != WebSocketMessageType.Text)
                {
                    RequestClose(CloseCodes.MalformedFrame, "frames must be JSON text");
                    return;
                }

                if (!ClientFrame.TryParse(buffer.AsSpan(0, count), out var frame, out var error))
                {
                    Log.MalformedFrame(_services.Logger, ConnectionId, UserId, error!);
                    RequestClose(CloseCodes.MalformedFrame, error!);
                    return;
                }

                if (!await HandleAsync(frame).ConfigureAwait(false))
                {
                    return;
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

    private async ValueTask<bool> HandleAsync(ClientFrame frame)
    {
        switch (frame.Type)
        {
            case ClientFrameType.Ack:
                if (frame.Seq > LastSentSeq)
                {
                    // Acknowledging a seq this socket never received would mark it delivered for every tab.
                    Log.MalformedFrame(_services.Logger, ConnectionId, UserId, "ack beyond the last sent seq");
                    RequestClose(CloseCodes.MalformedFrame, "ack beyond the last sent seq");
                    return false;
                }

                if (frame.Seq > _ackedSeq)
                {
                    _ackedSeq = frame.Seq;
                    _services.Acks.Record(UserId, frame.Seq);
                }

                return true;
            case ClientFrameType.Auth:
                return await RefreshCredentialAsync(frame.Token!).ConfigureAwait(false);
            default:
                return true;
        }
    }

    private async ValueTask<bool> RefreshCredentialAsync(string token)
    {
        var result = await _services.TokenValidator.ValidateAsync(token, _aborted.Token).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Log.RefreshRejected(_services.Logger, ConnectionId, UserId, result.Error ?? "invalid token");
            RequestClose(CloseCodes.CredentialExpired, "refreshed credential rejected");
            return false;
        }

        if (!string.Equals(result.UserId, UserId, StringComparison.Ordinal))
        {
            Log.RefreshForAnotherUser(_services.Logger, ConnectionId, UserId);
            RequestClose(CloseCodes.PolicyViolation, "credential belongs to another user");
            return false;
        }

        Volatile.Write(ref _credentialExpiresAt, result.ExpiresAt!.Value.UtcTicks);
        Volatile.Write(ref _expiryWarned, 0);
        Log.CredentialRefreshed(_services.Logger, ConnectionId, UserId, result.ExpiresAt.Value);
        return true;
    }
}
