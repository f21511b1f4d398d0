using System.Net.Sockets;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>
/// A load balancer for the subscriber's handshake, through its <see cref="NotifyPush.Client.Subscribing.NotifyPushSubscriberOptions.HttpMessageInvoker"/>
/// hook: every new connection goes to the replica <c>pick</c> names, whatever the socket URI says. The test can cut
/// every open connection (a network blip) or freeze them (a half-open connection: nothing arrives any more, no FIN).
/// </summary>
public sealed class ReplicaBalancer : IDisposable
{
    private readonly Func<Uri> _pick;
    private readonly List<(Socket Socket, FreezableStream Stream)> _open = [];
    private readonly List<Uri> _picks = [];

    public ReplicaBalancer(Func<Uri> pick)
    {
        _pick = pick;
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler { ConnectCallback = ConnectAsync });
    }

    /// <summary>The invoker to give the subscriber.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>The socket URI to give the subscriber; its host is never dialled.</summary>
    public static Uri SocketUri { get; } = new("ws://balancer.test/ws");

    /// <summary>Every replica a connection went to, in order.</summary>
    public IReadOnlyList<Uri> Picks
    {
        get
        {
            lock (_picks)
            {
                return [.. _picks];
            }
        }
    }

    /// <summary>Resets every open connection, as a network blip would.</summary>
    public void CutAll()
    {
        foreach (var (socket, _) in TakeOpen())
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
    }

    /// <summary>Stops passing anything the server sends on the open connections, without closing them.</summary>
    public void FreezeAll()
    {
        lock (_open)
        {
            foreach (var (_, stream) in _open)
            {
                stream.Freeze();
            }
        }
    }

    public void Dispose()
    {
        CutAll();
        Invoker.Dispose();
    }

    private List<(Socket, FreezableStream)> TakeOpen()
    {
        lock (_open)
        {
            var open = _open.ToList();
            _open.Clear();
            return open;
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var target = _pick();
        lock (_picks)
        {
            _picks.Add(target);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target.Host, target.Port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new FreezableStream(new NetworkStream(socket, ownsSocket: true));
        lock (_open)
        {
            _open.Add((socket, stream));
        }

        return stream;
    }
}
