using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace NotifyPush.Testing;

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
    private RedisServerProcess? _server;

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
        var server = new SecuredRedisServer(folder, FreePorts.One(), tls ? FreePorts.One() : null);
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
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
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
        var config = RedisServerProcess.ConfigFor(Port);
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

        _server = await RedisServerProcess.StartAsync(TestEnvironment.RequireRedisServerExecutable(), Port, [configPath], _folder, AdminPassword, StartTimeout);
    }

    private async Task MakeCertificatesAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await OpenSslAsync("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=NotifyPush test CA");
        await OpenSslAsync("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=localhost");
        await OpenSslAsync("x509", "-req", "-in", "redis.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "redis.crt", "-days", "1", "-extfile", "san.ext");
    }

    private Task OpenSslAsync(params string[] arguments) =>
        ChildProcess.RunCheckedAsync("openssl", arguments, StartTimeout, workingDirectory: _folder);
}
