using System.Globalization;
using System.Net.WebSockets;
using System.Threading.Channels;
using NotifyPush.Client.Problems;
using NotifyPush.Client.Resilience;

namespace NotifyPush.Client.Subscribing;

public sealed partial class NotifyPushSubscriber
{
    /// <summary>
    /// One enumeration's connection loop: connect, run the socket until it ends, act on its close code, back off,
    /// reconnect with <c>since</c>. Completes <paramref name="inbound"/> when it ends: without an exception when stopped,
    /// with the exception the reader should see otherwise.
    /// </summary>
    private async Task RunAsync(ChannelWriter<InboundItem> inbound, CancellationToken stop)
    {
        var attempt = 0;
        var previousCode = 0;
        SetState(SubscriberState.Connecting);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var token = Options.TokenProvider is { } provider ? await provider(stop).ConfigureAwait(false) : null;
                var closure = await ConnectAndRunAsync(token, inbound, stop).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                if (closure.ReachedSynced)
                {
                    attempt = 0;
                }

                if (Terminal(closure) is { } terminal)
                {
                    SetState(SubscriberState.Stopped);
                    Disconnected?.Invoke(this, new DisconnectedEventArgs(closure.Code, closure.Reason, false, null, closure.HandshakeStatus));
                    inbound.TryComplete(terminal);
                    return;
                }

                // After 4001 the cure is a new token, not time: the first reconnect goes at once; a second 4001 in a
                // row (the provider hands out bad tokens) backs off like any failure.
                var delay = closure.Code == NotifyPushCloseCodes.CredentialExpired && previousCode != NotifyPushCloseCodes.CredentialExpired
                    ? TimeSpan.Zero
                    : FullJitterBackoff.Delay(attempt++, Options.ReconnectFirstDelay, Options.ReconnectMaxDelay);
                previousCode = closure.Code;
                SetState(SubscriberState.Reconnecting);
                Disconnected?.Invoke(this, new DisconnectedEventArgs(closure.Code, closure.Reason, true, delay, closure.HandshakeStatus));
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, Options.TimeProvider, stop).ConfigureAwait(false);
                }
            }

            inbound.TryComplete();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            inbound.TryComplete();
        }
        catch (Exception ex)
        {
            // The token provider or an event handler failed: the reader sees it instead of a silent stop.
            inbound.TryComplete(ex);
        }
        finally
        {
            SetState(SubscriberState.Stopped);
        }
    }

    private async Task<SocketClosure> ConnectAndRunAsync(string? token, ChannelWriter<InboundItem> inbound, CancellationToken stop)
    {
        var since = Interlocked.Read(ref _position);
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        Options.ConfigureWebSocket?.Invoke(socket.Options);
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            connectTimeout.CancelAfter(Options.ConnectTimeout);
            await socket.ConnectAsync(SocketUri(since), Options.HttpMessageInvoker, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            socket.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException or IOException)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            return status > 0 && status != 101
                ? new SocketClosure(NotifyPushCloseCodes.Abnormal, $"handshake refused with HTTP {status}", status)
                : new SocketClosure(NotifyPushCloseCodes.Abnormal, $"connect failed: {ex.Message}");
        }

        using var connection = new SubscriberSocket(socket, this, inbound, Math.Max(0, since));
        _socket = connection;
        try
        {
            return await connection.RunAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            _socket = null;
        }
    }

    /// <summary>The exception that ends the enumeration after <paramref name="closure"/>, or null to reconnect.</summary>
    private static NotifyPushException? Terminal(SocketClosure closure)
    {
        if (closure.HandshakeStatus is 400 or 403)
        {
            // A malformed request or a disallowed origin: every retry would be refused the same way.
            return new NotifyPushSocketClosedException(
                closure.Code,
                closure.Reason,
                $"The server refused the socket handshake with HTTP {closure.HandshakeStatus}; retrying would not help.");
        }

        return closure.Code switch
        {
            NotifyPushCloseCodes.SignedOut => new NotifyPushSignedOutException(closure.Reason),
            _ when NotifyPushCloseCodes.IsTerminal(closure.Code) => new NotifyPushSocketClosedException(
                closure.Code,
                closure.Reason,
                $"The server closed the socket with {closure.Code} (\"{closure.Reason}\"); reconnecting would not help."),
            _ => null,
        };
    }

    private Uri SocketUri(long since)
    {
        if (since == NoPosition)
        {
            return Options.SocketUri!;
        }

        var builder = new UriBuilder(Options.SocketUri!);
        var query = builder.Query.TrimStart('?');
        var resume = "since=" + since.ToString(CultureInfo.InvariantCulture);
        builder.Query = query.Length == 0 ? resume : query + "&" + resume;
        return builder.Uri;
    }
}
