using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 requests written byte for byte over a TCP connection, for what HttpClient will not send as given: a
/// request target with dot segments, a WebSocket handshake of another protocol version.
/// </summary>
public static class RawHttp
{
    /// <summary>One answer: status, headers (looked up case-insensitively, repeated ones joined with ", ") and body text.</summary>
    public sealed record Response(HttpStatusCode Status, IReadOnlyDictionary<string, string> Headers, string Body);

    /// <summary>
    /// Sends <paramref name="target"/> with <paramref name="method"/>, the given header lines and Host, asks the server
    /// to close the connection after its answer (<c>close</c> is added to the Connection header) and reads until it does
    /// (or, for a 101, to the end of the head).
    /// </summary>
    public static async Task<Response> SendAsync(Uri server, string method, string target, IEnumerable<string>? headers = null, byte[]? body = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        await using var stream = client.GetStream();

        var lines = headers?.ToList() ?? [];
        var connection = lines.FindIndex(l => l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase));
        if (connection < 0)
        {
            lines.Add("Connection: close");
        }
        else
        {
            lines[connection] += ", close";
        }

        if (body is not null)
        {
            lines.Add($"Content-Length: {body.Length}");
        }

        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\n");
        foreach (var line in lines)
        {
            head.Append(line).Append("\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cts.Token);
        if (body is not null)
        {
            await stream.WriteAsync(body, cts.Token);
        }

        // Until the server closes; after a 101 the connection is the upgraded protocol's, so the head is all there is.
        using var received = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cts.Token)) > 0)
        {
            received.Write(chunk, 0, read);
            if (received.GetBuffer().AsSpan(0, (int)received.Length) is var bytes && bytes.StartsWith("HTTP/1.1 101 "u8) && bytes.IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        return Parse(received.ToArray());
    }

    private static Response Parse(byte[] bytes)
    {
        var headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            throw new IOException($"Not an HTTP response: {Encoding.ASCII.GetString(bytes)}");
        }

        var head = Encoding.ASCII.GetString(bytes, 0, headEnd).Split("\r\n");
        var status = (HttpStatusCode)int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in head.Skip(1))
        {
            var colon = line.IndexOf(':');
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var earlier) ? $"{earlier}, {value}" : value;
        }

        var rest = bytes.AsSpan(headEnd + 4);
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                var lineEnd = rest.IndexOf("\r\n"u8);
                var size = int.Parse(Encoding.ASCII.GetString(rest[..lineEnd]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    break;
                }

                body.Write(rest.Slice(lineEnd + 2, size));
                rest = rest[(lineEnd + 2 + size + 2)..];
            }

            return new Response(status, headers, Encoding.UTF8.GetString(body.ToArray()));
        }

        return new Response(status, headers, Encoding.UTF8.GetString(rest));
    }
}
