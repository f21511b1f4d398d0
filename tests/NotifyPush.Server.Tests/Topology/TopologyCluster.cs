using System.Diagnostics;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace NotifyPush.Server.Tests.Topology;

/// <summary>
/// The production topology of docker/compose.yaml as local processes: the server published once, the
/// <c>migrate</c> job, three replicas on the test Postgres (a schema of their own) and the test Redis (a channel
/// prefix of their own), and nginx running docker/nginx.conf in front of them. Disposing stops all of it.
/// </summary>
public sealed class TopologyCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ProcessReplica> _replicas = [];
    private readonly string _postgres;

    private TopologyCluster(ITestOutputHelper output, string directory, string postgres, string redis)
    {
        _output = output;
        Directory = directory;
        _postgres = postgres;
        Schema = $"topology_{Guid.NewGuid():N}";
        ReplicaEnvironment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["NotifyPush__Store__Provider"] = "Postgres",
            ["NotifyPush__Store__ConnectionString"] = new NpgsqlConnectionStringBuilder(postgres) { SearchPath = Schema, MaxPoolSize = 20 }.ConnectionString,
            ["NotifyPush__Store__ApplyMigrationsAtStartup"] = "false",
            ["NotifyPush__Backplane__Provider"] = "Redis",
            ["NotifyPush__Backplane__Configuration"] = redis,
            ["NotifyPush__Backplane__ChannelPrefix"] = Schema,
            ["NotifyPush__Auth__Jwt__Issuer"] = NotifyPushTestServer.Issuer,
            ["NotifyPush__Auth__Jwt__Audience"] = NotifyPushTestServer.Audience,
            ["NotifyPush__Auth__Jwt__SigningKey"] = NotifyPushTestServer.SigningKey,
            ["NotifyPush__Auth__ApiKeys__0__Name"] = NotifyPushTestServer.ApiKeyName,
            ["NotifyPush__Auth__ApiKeys__0__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NotifyPushTestServer.ApiKey))),
            ["NotifyPush__Connections__DrainSeconds"] = "2",
            ["NotifyPush__Connections__CloseTimeoutSeconds"] = "2",
        };
    }

    /// <summary>The folder holding the published server, nginx's configuration and its logs.</summary>
    public string Directory { get; }

    /// <summary>The Postgres schema (also the Redis channel prefix) of this cluster.</summary>
    public string Schema { get; }

    /// <summary>The settings every replica gets, as compose's environment would set them.</summary>
    public IReadOnlyDictionary<string, string> ReplicaEnvironment { get; }

    public IReadOnlyList<ProcessReplica> Replicas => _replicas;

    public NginxProcess Nginx { get; private set; } = null!;

    /// <summary>The socket endpoint through nginx.</summary>
    public Uri SocketUri(string query) =>
        new UriBuilder(Nginx.BaseAddress) { Scheme = "ws", Path = "/ws", Query = query }.Uri;

    /// <summary>Publishes, migrates, starts three replicas and nginx; fails loudly when nginx, Redis or Postgres is missing.</summary>
    public static async Task<TopologyCluster> StartAsync(ITestOutputHelper output)
    {
        var nginx = NginxProcess.RequireExecutable();
        var postgres = TestEnvironment.RequirePostgres();
        var redis = TestEnvironment.RequireRedis();
        var directory = Path.Combine(Path.GetTempPath(), "notifypush-topology", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);

        var cluster = new TopologyCluster(output, directory, postgres, redis);
        try
        {
            await cluster.StartAllAsync(nginx);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the topology, runs <paramref name="scenario"/> on it and, when that fails, writes every process's output to the test output.</summary>
    public static async Task RunAsync(ITestOutputHelper output, Func<TopologyCluster, Task> scenario)
    {
        await using var cluster = await StartAsync(output);
        try
        {
            await scenario(cluster);
        }
        catch
        {
            output.WriteLine(cluster.Report());
            throw;
        }
    }

    /// <summary>A client of the service API (the test API key) through nginx.</summary>
    public HttpClient CreateApiClient()
    {
        var api = new HttpClient { BaseAddress = Nginx.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", NotifyPushTestServer.ApiKey);
        return api;
    }

    /// <summary>Writes a progress line with the time since start to the test output.</summary>
    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1} s] {message}");

    /// <summary>The one running replica that holds sockets now, from each replica's <c>/readyz</c> connection count.</summary>
    public async Task<ProcessReplica> FindSocketHolderAsync(TimeSpan timeout)
    {
        var found = await Poll.UntilAsync(
            async () =>
            {
                var live = _replicas.Where(r => !r.Process.HasExited).ToList();
                var answers = await Task.WhenAll(live.Select(r => r.GetConnectionCountAsync()));
                var counts = string.Join(", ", live.Select((r, i) => $"{r.Name}={answers[i]?.ToString() ?? "?"}"));
                return (Holders: live.Where((_, i) => answers[i] > 0).ToList(), Counts: counts);
            },
            seen => seen.Holders.Count == 1,
            "a single replica holds the socket",
            timeout,
            seen => $"connections: {seen.Counts}");
        return found.Holders[0];
    }

    /// <summary>Everything each process wrote, for a failure's report.</summary>
    public string Report()
    {
        var report = new StringBuilder();
        foreach (var replica in _replicas)
        {
            report.Append("----- ").Append(replica.Name).Append(' ').Append(replica.BaseAddress).AppendLine(" -----").AppendLine(replica.Process.Output);
        }

        if (Nginx is not null)
        {
            report.AppendLine("----- nginx access log -----").AppendLine(Nginx.ReadAccessLog());
            report.AppendLine("----- nginx error log -----").AppendLine(Nginx.ReadErrorLog()).AppendLine(Nginx.Output);
        }

        return report.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Nginx is not null)
        {
            await Nginx.DisposeAsync();
        }

        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        try
        {
            await using var connection = new NpgsqlConnection(_postgres);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            _output.WriteLine($"Dropping schema {Schema} failed: {ex.Message}");
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }

    private async Task StartAllAsync(string nginx)
    {
        var dotnet = ChildProcess.DotnetHost();
        var root = RepositoryFiles.Root;

        var app = Path.Combine(Directory, "app");
        var configuration = typeof(TopologyCluster).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var publish = await ChildProcess.RunAsync(
            "dotnet publish",
            dotnet,
            ["publish", Path.Combine(root, "src", "NotifyPush.Server", "NotifyPush.Server.csproj"), "-c", configuration, "--no-build", "-o", app, "-nodeReuse:false", "-v:q", "-nologo"],
            root,
            TimeSpan.FromSeconds(180),
            new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });
        Assert.True(publish.ExitCode == 0, $"dotnet publish --no-build ({configuration}) failed; build the solution first. Output:\n{publish.Output}");
        Log($"published the server ({configuration}) to {app}");

        // The compose migrate job: the store's settings only, no credentials.
        var migrateEnvironment = ReplicaEnvironment
            .Where(setting => setting.Key.StartsWith("NotifyPush__Store__", StringComparison.Ordinal) || setting.Key == "ASPNETCORE_ENVIRONMENT")
            .ToDictionary();
        var migrate = await ChildProcess.RunAsync("migrate", dotnet, ["NotifyPush.Server.dll", "migrate"], app, StartTimeout, migrateEnvironment);
        Assert.True(migrate.ExitCode == 0, $"'NotifyPush.Server.dll migrate' exited with {migrate.ExitCode}. Output:\n{migrate.Output}");
        Log($"migrate exited 0 (schema {Schema})");

        // Started one after another: three cold .NET start-ups at once on two cores only slow each other down.
        for (var i = 1; i <= NginxProcess.TemplateUpstreams.Length; i++)
        {
            var replica = await ProcessReplica.StartAsync($"replica-{i}", ReplicaEnvironment!, app, waitUntilReady: true, timeout: StartTimeout);
            _replicas.Add(replica);
            Log($"{replica.Name} ready at {replica.BaseAddress}");
        }

        var template = await File.ReadAllTextAsync(Path.Combine(root, "docker", "nginx.conf"));
        var (started, testOutput) = await NginxProcess.StartAsync(nginx, template, _replicas.Select(r => r.Endpoint).ToList(), Path.Combine(Directory, "nginx"), StartTimeout);
        Nginx = started;
        Log($"nginx -t: {testOutput.Trim().Replace('\n', ' ')}");
        Log($"nginx listening at {Nginx.BaseAddress}, upstreams {string.Join(", ", _replicas.Select(r => r.Endpoint))}");
    }
}
