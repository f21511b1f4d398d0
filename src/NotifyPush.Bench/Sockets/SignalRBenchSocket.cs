using System.Net.Http;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// One user's hub connection to the SignalR peer, through <c>Microsoft.AspNetCore.SignalR.Client</c> as an app would
/// use it: WebSockets only with negotiation skipped (what scale-out without sticky sessions requires), SignalR's own
/// keep-alive. The WebSocket is opened through the fleet's shared handler, so it gets the same source addresses as
/// <see cref="BenchSocket"/>. <c>synced</c> (sent by the hub once the user's Redis subscription is in place) counts as
/// synced; SignalR has no acknowledgements, so none are sent.
/// </summary>
internal sealed class SignalRBenchSocket(int userIndex, string token, SocketFleet fleet) : IBenchSocket
{
    private HubConnection? _connection;
    private volatile bool _dropping;

    public int UserIndex { get; } = userIndex;

    public long LastSeq { get; private set; }

    public long Duplicates { get; private set; }

    public long Gaps { get; private set; }

    public async Task<bool> ConnectAsync(Uri endpoint, bool since, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(endpoint, options =>
            {
                options.Transports = HttpTransportType.WebSockets;
                options.SkipNegotiation = true;
                options.WebSocketFactory = async (context, ct) =>
                {
                    var socket = new ClientWebSocket();
                    socket.Options.KeepAliveInterval = TimeSpan.Zero;
                    socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
                    try
                    {
                        await socket.ConnectAsync(context.Uri, invoker, ct).ConfigureAwait(false);
                        return socket;
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                };
            })
            .Build();
        // The client calls one connection's handlers one at a time, in arrival order: no locking is needed here.
        connection.On<SignalRNotification>("notification", OnNotification);
        connection.On("synced", fleet.OnSynced);
        connection.Closed += OnClosedAsync;
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
        {
            fleet.Errors.Add("connect:" + (ex is OperationCanceledException ? "timeout" : ex.GetType().Name));
            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
        }

        _dropping = false;
        _connection = connection;
        fleet.OnOpened();
        return true;
    }

    /// <summary>Stops the connection; the SignalR client has no abort, so this one does send a close.</summary>
    public void Drop()
    {
        _dropping = true;
        if (_connection is { } connection)
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    private void OnNotification(SignalRNotification notification)
    {
        if (notification.Payload.ValueKind == JsonValueKind.Object && notification.Payload.TryGetProperty("t", out var sent) && sent.TryGetInt64(out var timestamp))
        {
            fleet.Latency.RecordSince(timestamp);
        }

        fleet.OnReceived();
        if (notification.Seq <= LastSeq)
        {
            Duplicates++;
            fleet.OnDuplicate();
            return;
        }

        if (notification.Seq > LastSeq + 1)
        {
            Gaps += notification.Seq - LastSeq - 1;
            fleet.OnGap(notification.Seq - LastSeq - 1);
        }

        LastSeq = notification.Seq;
    }

    private Task OnClosedAsync(Exception? error)
    {
        if (!_dropping)
        {
            fleet.Errors.Add("closed:" + (error?.GetType().Name ?? "server"));
        }

        fleet.OnClosed();
        return Task.CompletedTask;
    }

    /// <summary>The argument of the hub's <c>notification</c> call: NotifyPush's frame without its <c>type</c>.</summary>
    private sealed record SignalRNotification(long Seq, Guid Id, string Event, JsonElement Payload, DateTimeOffset CreatedAt);
}
