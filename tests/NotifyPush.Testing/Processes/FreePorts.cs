using System.Net;
using System.Net.Sockets;

namespace NotifyPush.Testing;

/// <summary>Free loopback ports for the servers a test starts. Another process may take one before the server binds it.</summary>
public static class FreePorts
{
    /// <summary>One port the kernel has just handed out as free on 127.0.0.1.</summary>
    public static int One()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// <paramref name="count"/> distinct free ports in 20000..49999, and when <paramref name="withBusPort"/> each
    /// one's +10000 free too (Redis Cluster's bus port; the kernel's ephemeral range could give a port whose +10000 is
    /// not a port at all).
    /// </summary>
    public static List<int> Take(int count, bool withBusPort = false)
    {
        var ports = new List<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(20_000, 50_000);
            if (!ports.Contains(port) && IsFree(port) && (!withBusPort || IsFree(port + 10_000)))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
