using System.Net;
using System.Net.Sockets;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a server that, for the next <see cref="DropResponses"/> connections, forwards the
/// request and waits until the server starts answering (so it has handled the request, a send has committed), then
/// resets the client's connection instead of passing the answer on: the response is lost after the commit, as when a
/// load balancer or the network fails at the worst moment.
/// </summary>
public sealed class ResponseDroppingProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _dropResponses;
    private int _dropped;

    public ResponseDroppingProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The address to send requests to, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>How many of the next connections lose their answer.</summary>
    public int DropResponses
    {
        get => Volatile.Read(ref _dropResponses);
        set => Volatile.Write(ref _dropResponses, value);
    }

    /// <summary>Answers dropped so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10));
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var drop = Interlocked.Decrement(ref _dropResponses) >= 0;
            if (!drop)
            {
                Interlocked.Increment(ref _dropResponses);
            }

            lock (_connections)
            {
                _connections.Add(Task.Run(() => ServeAsync(client, drop)));
            }
        }
    }

    private async Task ServeAsync(Socket client, bool dropResponse)
    {
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token);
            var requests = Pump(client, upstream);
            if (dropResponse)
            {
                // The first bytes of the answer prove the server handled the request; the client never sees them.
                var buffer = new byte[1];
                await upstream.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                Interlocked.Increment(ref _dropped);
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                upstream.Close();
            }
            else
            {
                await Pump(upstream, client);
            }

            await requests;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // One side went away; both are closed below.
        }
        finally
        {
            client.Dispose();
        }
    }

    private static async Task Pump(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection was cut (on purpose, or by a peer).
            try
            {
                from.Close();
                to.Close();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
