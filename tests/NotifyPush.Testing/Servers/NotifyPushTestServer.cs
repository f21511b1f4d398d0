using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Testing;

/// <summary>
/// A real NotifyPush server on Kestrel, port 0, with its own SQLite file (or the settings a test gives), a
/// test signing key and a test API key. Dispose it to stop the server and delete its data.
/// </summary>
public sealed class NotifyPushTestServer : WebApplicationFactory<Program>
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "notifypush-test";
    public const string ServiceAudience = "notifypush-test-service";
    public const string SigningKey = "test-signing-key-that-is-long-enough-for-hs256!";
    public const string ApiKey = "test-api-key-billing";
    public const string ApiKeyName = "billing";

    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;
    private readonly string _dataDirectory;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="settings">Settings over the common ones (and the SQLite store in a folder of its own).</param>
    /// <param name="environment">The host environment.</param>
    /// <param name="services">Replaces services after the server registered its own, e.g. a <c>FakeTimeProvider</c> as the <see cref="TimeProvider"/>.</param>
    /// <param name="port">The loopback port to listen on; 0 for a free one. A restarted server takes its predecessor's.</param>
    public NotifyPushTestServer(IDictionary<string, string?>? settings = null, string environment = "Production", Action<IServiceCollection>? services = null, int port = 0)
    {
        _environment = environment;
        _services = services;
        _dataDirectory = Path.Combine(Path.GetTempPath(), "notifypush-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dataDirectory);
        _settings = CommonSettings();
        _settings["NotifyPush:Store:Provider"] = "Sqlite";
        _settings["NotifyPush:Store:ConnectionString"] = $"Data Source={Path.Combine(_dataDirectory, "notifypush.db")}";
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                _settings[key] = value;
            }
        }

        UseKestrel(port);
        StartServer();
    }

    /// <summary>
    /// The settings every test server gets apart from its store: the test signing key and API key (holding every scope), short close and
    /// drain timers, no rate limit. Also for servers a test runs as a separate process.
    /// </summary>
    public static Dictionary<string, string?> CommonSettings() =>
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["NotifyPush:Auth:Jwt:Issuer"] = Issuer,
            ["NotifyPush:Auth:Jwt:Audience"] = Audience,
            ["NotifyPush:Auth:Jwt:SigningKey"] = SigningKey,
            ["NotifyPush:Auth:ServiceJwt:Audience"] = ServiceAudience,
            ["NotifyPush:Auth:ApiKeys:0:Name"] = ApiKeyName,
            ["NotifyPush:Auth:ApiKeys:0:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey))),
            ["NotifyPush:Auth:ApiKeys:0:Scopes:0"] = "notifications:send",
            ["NotifyPush:Auth:ApiKeys:0:Scopes:1"] = "notifications:read",
            ["NotifyPush:Auth:ApiKeys:0:Scopes:2"] = "users:disconnect",
            ["NotifyPush:Auth:ApiKeys:0:Scopes:3"] = "presence:read",
            ["NotifyPush:Auth:ApiKeys:0:Scopes:4"] = "admin",
            ["NotifyPush:Auth:ApiKeys:0:Scopes:5"] = "metrics:read",
            ["NotifyPush:Auth:AllowedOrigins:0"] = "https://app.test",
            ["NotifyPush:Connections:DrainSeconds"] = "0",
            // Each test starts its servers cold; the warm-up has tests of its own (StartupWarmUpTests).
            ["NotifyPush:WarmUp:Sockets"] = "0",
            ["NotifyPush:Connections:CloseTimeoutSeconds"] = "2",
            ["NotifyPush:Delivery:AckFlushIntervalMilliseconds"] = "50",
            ["NotifyPush:Api:RateLimitPerSecond"] = "0",
            ["NotifyPush:Connections:HandshakeBurstPerUser"] = "1000",
        };

    private readonly FakeLogCollector _logs = new();

    /// <summary>
    /// Every log record the server wrote so far, with its structured state, scopes and exception
    /// (<see cref="FakeLogRecordText.AllText"/> gives all of its text).
    /// </summary>
    public IReadOnlyList<FakeLogRecord> Logs => _logs.GetSnapshot();

    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>The socket endpoint with an optional query string.</summary>
    public Uri SocketUri(string query = "") =>
        new UriBuilder(BaseAddress) { Scheme = BaseAddress.Scheme == "https" ? "wss" : "ws", Path = "/ws", Query = query }.Uri;

    public T GetService<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>An HTTP client authenticated as the test service (API key).</summary>
    public HttpClient CreateServiceClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", ApiKey);
        return client;
    }

    /// <summary>
    /// A user token signed with the test key, expiring <paramref name="expiresIn"/> from now (10 minutes by default;
    /// negative for an expired one), issued (<c>iat</c>) a minute ago unless <paramref name="issuedAt"/> says otherwise.
    /// </summary>
    public static string UserToken(string userId, TimeSpan? expiresIn = null, string? audience = null, string? issuer = null, DateTime? issuedAt = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var notBefore = (expires < now ? expires : now).AddMinutes(-1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            NotBefore = notBefore,
            IssuedAt = issuedAt ?? notBefore,
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = userId },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);

        // Program reads some settings while it registers services (which store, which backplane, the shutdown
        // timeout), before the app configuration below is applied: host settings are visible to it from the start.
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(_settings));
        builder.ConfigureLogging(logging =>
        {
            // Captured in memory for assertions; not written to the console, where thousands of lines per test
            // would bury the test run's own output.
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Debug);
            logging.AddProvider(new FakeLoggerProvider(_logs));
        });
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a closing connection; the temp folder is cleaned by the OS eventually.
            }
        }
    }
}
