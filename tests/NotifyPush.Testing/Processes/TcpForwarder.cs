using System.Net;
using System.Net.Sockets;

namespace NotifyPush.Testing;

/// <summary>
/// A loopback port that forwards to a server (the test Postgres, say) while started: lets a test make "the database"
/// vanish and come back for one client (a store, one replica) without stopping the server other tests share.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly IPEndPoint _target;
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private Task? _acceptLoop;

    public TcpForwarder(string targetHost, int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Parse(targetHost), targetPort);
        Port = FreePorts.One();
    }

    /// <summary>The loopback port clients connect to; closed while the forwarder is stopped.</summary>
    public int Port { get; }

    public void Start()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _acceptLoop = AcceptAsync(_listener);
    }

    /// <summary>Refuses new connections and cuts the open ones, as a crashed server would.</summary>
    public async Task StopAsync()
    {
        _listener?.Stop();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.WaitAsync(StopTimeout);
        }

        CutConnections();
        _listener = null;
        _acceptLoop = null;
    }

    /// <summary>
    /// Resets the open connections while still accepting new ones, as a server that ended its sessions (or a network
    /// that dropped them) but stays up would: a client that connects again at once gets through, with no window in
    /// which it is refused.
    /// </summary>
    public void CutConnections()
    {
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                // Reset rather than close politely, as a crashed server's side would; the pumps may have disposed some already.
                if (connection.Client is { Connected: true } socket)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }

                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return; // stopped
            }

            var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(_target);
            }
            catch (SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }

            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // One side went away; closing both below ends the other pump too.
        }

        from.Dispose();
        to.Dispose();
    }
}
