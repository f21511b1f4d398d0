using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace NotifyPush.Bench.Sockets;

/// <summary>
/// Opens the client side of each socket from the next of several loopback source addresses (127.0.0.2, .3, …).
/// One source address has only ~28,000 ephemeral ports towards one server address; several lift that limit.
/// <c>IP_BIND_ADDRESS_NO_PORT</c> lets the kernel pick the port at connect() for the whole 4-tuple instead of
/// reserving one at bind(), so a port can be reused towards another server port.
/// </summary>
internal sealed class SourceAddressConnector
{
    // <netinet/in.h>: IPPROTO_IP and IP_BIND_ADDRESS_NO_PORT.
    private const int IpProtocolIp = 0;
    private const int IpBindAddressNoPort = 24;

    private readonly IPAddress[] _sources;
    private int _next = -1;

    /// <param name="count">How many addresses, starting at 127.0.0.2.</param>
    public SourceAddressConnector(int count)
    {
        _sources = new IPAddress[Math.Max(1, count)];
        for (var i = 0; i < _sources.Length; i++)
        {
            _sources[i] = new IPAddress([127, 0, 0, (byte)(2 + i)]);
        }
    }

    /// <summary>For <see cref="SocketsHttpHandler.ConnectCallback"/>.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var source = _sources[(uint)Interlocked.Increment(ref _next) % (uint)_sources.Length];
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(IpProtocolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
            }

            socket.Bind(new IPEndPoint(source, 0));
            EndPoint remote = IPAddress.TryParse(context.DnsEndPoint.Host, out var address)
                ? new IPEndPoint(address, context.DnsEndPoint.Port)
                : context.DnsEndPoint;
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
