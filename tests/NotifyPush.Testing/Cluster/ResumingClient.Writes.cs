using System.Net.WebSockets;

namespace NotifyPush.Testing;

// The writes of the client's socket: one at a time, each bounded.
public sealed partial class ResumingClient
{
    private static Task SendAsync(ClientWebSocket socket, SemaphoreSlim sendLock, ReadOnlyMemory<byte> frame) =>
        UnderLockAsync(sendLock, SendTimeout, token => socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, token).AsTask());

    private static async Task ReplyToCloseAsync(ClientWebSocket socket, SemaphoreSlim sendLock)
    {
        if (socket.State != WebSocketState.CloseReceived)
        {
            return; // This side closed first; the handshake is complete.
        }

        try
        {
            await UnderLockAsync(sendLock, CloseReplyTimeout, token => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // The server gave up on the handshake meanwhile; either way the socket is done.
        }
    }

    private static async Task CloseNormallyAsync(ClientWebSocket socket, SemaphoreSlim sendLock)
    {
        try
        {
            await UnderLockAsync(sendLock, SendTimeout, token => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "tab closed", token));
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // The socket ended meanwhile; the read loop reconnects either way.
        }
    }

    /// <summary>One write at a time per socket (ClientWebSocket allows one pending send), each bounded.</summary>
    private static async Task UnderLockAsync(SemaphoreSlim sendLock, TimeSpan timeout, Func<CancellationToken, Task> write)
    {
        if (!await sendLock.WaitAsync(timeout))
        {
            throw new TimeoutException($"Another write held the socket for {timeout.TotalSeconds} s.");
        }

        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            await write(cancel.Token);
        }
        finally
        {
            sendLock.Release();
        }
    }
}
