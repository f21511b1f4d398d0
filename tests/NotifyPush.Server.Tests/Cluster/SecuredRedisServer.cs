using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A private redis-server that requires a password (<c>requirepass</c>), optionally with ACL users and a TLS port
/// whose certificate a throw-away CA (made with openssl for this server) signed. The plain port stays open for the
/// test's own admin connection.
/// </summary>
public sealed class SecuredRedisServer : IAsyncDisposable
{
    public const string AdminPassword = "admin-secret-7f3a";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _folder;
    private Process? _process;

    private SecuredRedisServer(string folder, int port, int? tlsPort)
    {
        _folder = folder;
        Port = port;
        TlsPort = tlsPort;
    }

    /// <summary>The plain port.</summary>
    public int Port { get; }

    /// <summary>The TLS port, when started with TLS.</summary>
    public int? TlsPort { get; }

    /// <summary>The PEM file of the CA that signed the TLS certificate (for 127.0.0.1 and localhost).</summary>
    public string CaCertificatePath => Path.Combine(_folder, "ca.crt");

    /// <param name="aclUsers">ACL rules after <c>user</c>, e.g. <c>np on &gt;pw resetchannels &amp;np:* ~np:* +@all</c>.</param>
    /// <param name="tls">Also listen with TLS (Debian's redis-server is built with it).</param>
    public static async Task<SecuredRedisServer> StartAsync(IEnumerable<string>? aclUsers = null, bool tls = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), "notifypush-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new SecuredRedisServer(folder, FreePort(), tls ? FreePort() : null);
        try
        {
            await server.StartProcessAsync(aclUsers ?? []);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>An admin connection (the default user) on the plain port.</summary>
    public Task<ConnectionMultiplexer> ConnectAdminAsync() =>
        ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},password={AdminPassword},abortConnect=false");

    /// <summary>Every entry of <c>ACL LOG</c>: the commands, keys and channels Redis denied, as text.</summary>
    public async Task<List<string>> AclDenialsAsync()
    {
        await using var admin = await ConnectAdminAsync();
        var entries = (RedisResult[])(await admin.GetDatabase().ExecuteAsync("ACL", "LOG").WaitAsync(StartTimeout))!;
        return entries.Select(entry =>
        {
            var fields = (RedisResult[])entry!;
            var text = new StringBuilder();
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                text.Append(fields[i]).Append('=').Append(fields[i + 1]).Append(' ');
            }

            return text.ToString();
        }).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        var process = _process;
        _process = null;
        if (process is not null)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(StartTimeout);
            process.Dispose();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync(IEnumerable<string> aclUsers)
    {
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"port {Port}");
        config.AppendLine("bind 127.0.0.1");
        config.AppendLine("save \"\"");
        config.AppendLine("appendonly no");
        config.AppendLine("daemonize no");
        config.AppendLine("loglevel warning");
        config.AppendLine(CultureInfo.InvariantCulture, $"requirepass {AdminPassword}");
        foreach (var user in aclUsers)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"user {user}");
        }

        if (TlsPort is { } tlsPort)
        {
            await MakeCertificatesAsync();
            config.AppendLine(CultureInfo.InvariantCulture, $"tls-port {tlsPort}");
            config.AppendLine(CultureInfo.InvariantCulture, $"tls-cert-file {Path.Combine(_folder, "redis.crt")}");
            config.AppendLine(CultureInfo.InvariantCulture, $"tls-key-file {Path.Combine(_folder, "redis.key")}");
            config.AppendLine(CultureInfo.InvariantCulture, $"tls-ca-cert-file {CaCertificatePath}");
            config.AppendLine("tls-auth-clients no");
        }

        var configPath = Path.Combine(_folder, "redis.conf");
        await File.WriteAllTextAsync(configPath, config.ToString());

        var start = new ProcessStartInfo(TestEnvironment.RequireRedisServerExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start redis-server.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var timeout = new CancellationTokenSource(StartTimeout);
        while (!await AnswersPingAsync())
        {
            if (process.HasExited || timeout.IsCancellationRequested)
            {
                string text;
                lock (output)
                {
                    text = output.ToString();
                }

                throw new InvalidOperationException($"redis-server did not start on port {Port}: {text}");
            }

            // Polling for the server to listen: there is nothing to await.
            await Task.Delay(TimeSpan.FromMilliseconds(25), CancellationToken.None);
        }
    }

    private async Task MakeCertificatesAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=NotifyPush test CA");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=localhost");
        await OpenSslAsync("x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "redis.crt", "-days", "1", "-extfile", "san.ext");
    }

    private async Task OpenSslAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start openssl.");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(StartTimeout);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {await stderr}");
        }
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port).WaitAsync(TimeSpan.FromSeconds(1));
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {AdminPassword}\r\nPING\r\n")).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
            var buffer = new byte[64];
            var text = new StringBuilder();
            while (!text.ToString().Contains("+PONG", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(1));
                if (read == 0)
                {
                    return false;
                }

                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
