using Npgsql;

namespace NotifyPush.Testing;

/// <summary>
/// N NotifyPush replicas as operators run them: stateless, sharing one Postgres schema (created for the test by the
/// first replica's migrations, dropped on dispose) and one Redis channel prefix (unique per test), with no sticky
/// sessions. Replicas run in this process (<see cref="InProcessReplica"/>) or as child processes
/// (<see cref="ProcessReplica"/>, to be killed).
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);

    private readonly List<ClusterReplica> _replicas = [];
    private readonly NpgsqlConnectionStringBuilder _postgres;
    private readonly IDictionary<string, string?> _settings;
    private int _replicaCount;

    private TestCluster(string redisConfiguration, IDictionary<string, string?>? settings)
    {
        Schema = $"cluster_{Guid.NewGuid():N}";
        ChannelPrefix = $"cluster{Guid.NewGuid():N}";
        RedisConfiguration = redisConfiguration;
        _postgres = new NpgsqlConnectionStringBuilder(TestEnvironment.RequirePostgres());
        _settings = settings ?? new Dictionary<string, string?>();
    }

    /// <summary>The Postgres schema every replica's store uses.</summary>
    public string Schema { get; }

    /// <summary>The Redis channel prefix of this cluster; other tests on the same Redis never see its messages.</summary>
    public string ChannelPrefix { get; }

    /// <summary>The Redis the replicas use: the shared test Redis unless the test brought its own.</summary>
    public string RedisConfiguration { get; }

    /// <summary>Every replica started so far, in start order (also those stopped since).</summary>
    public IReadOnlyList<ClusterReplica> Replicas
    {
        get
        {
            lock (_replicas)
            {
                return [.. _replicas];
            }
        }
    }

    /// <summary>The replicas running in this process.</summary>
    public IEnumerable<InProcessReplica> InProcessReplicas => Replicas.OfType<InProcessReplica>();

    /// <summary>
    /// Starts <paramref name="replicas"/> in-process replicas side by side.
    /// </summary>
    /// <param name="redisConfiguration">A Redis of the test's own (to stop it); the shared test Redis by default.</param>
    /// <param name="settings">Extra settings for every replica, e.g. <c>NotifyPush:Connections:DrainSeconds</c>.</param>
    /// <param name="forwardPostgres">Give each replica its own <see cref="TcpForwarder"/> to Postgres, to cut one off.</param>
    public static async Task<TestCluster> StartAsync(int replicas, string? redisConfiguration = null, IDictionary<string, string?>? settings = null, bool forwardPostgres = false)
    {
        var cluster = new TestCluster(redisConfiguration ?? TestEnvironment.RequireRedis(), settings);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, replicas).Select(_ => cluster.AddReplicaAsync(forwardPostgres)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Starts one more replica in this process.</summary>
    public async Task<InProcessReplica> AddReplicaAsync(bool forwardPostgres = false)
    {
        var name = $"r{Interlocked.Increment(ref _replicaCount)}";
        TcpForwarder? forwarder = null;
        var postgres = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString);
        if (forwardPostgres)
        {
            forwarder = new TcpForwarder(postgres.Host!, postgres.Port);
            forwarder.Start();
            postgres.Host = "127.0.0.1";
            postgres.Port = forwarder.Port;
        }

        var settings = ReplicaSettings(postgres);
        // The engine's debug events (gap fills, replays) feed the figures the tests report; the framework's
        // per-request lines would only slow a run of thousands of requests (tests find no appsettings.json).
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Logging:LogLevel:NotifyPush"] = "Debug";
        settings["Logging:Console:LogLevel:Default"] = "Warning";
        var replica = await InProcessReplica.StartAsync(name, settings, forwarder);
        Add(replica);
        return replica;
    }

    /// <summary>Starts one more replica as a child process (to kill it later).</summary>
    public async Task<ProcessReplica> AddProcessReplicaAsync()
    {
        var name = $"p{Interlocked.Increment(ref _replicaCount)}";
        var replica = await ProcessReplica.StartAsync(name, ReplicaSettings(new NpgsqlConnectionStringBuilder(_postgres.ConnectionString)));
        Add(replica);
        return replica;
    }

    /// <summary>A random replica in rotation, as a load balancer without sticky sessions would pick.</summary>
    public ClusterReplica PickReplica(Random random)
    {
        var candidates = Replicas.Where(r => r.InRotation).ToArray();
        if (candidates.Length == 0)
        {
            throw new InvalidOperationException("No replica is in rotation.");
        }

        return candidates[random.Next(candidates.Length)];
    }

    /// <summary>Every user's stream as the store holds it, read directly from Postgres.</summary>
    public async Task<IReadOnlyDictionary<string, StoredStream>> ReadStreamsAsync()
    {
        const string sql = """
            SELECT s.user_id, s.last_seq, count(n.seq), coalesce(min(n.seq), 0), coalesce(max(n.seq), 0)
            FROM user_streams AS s
            LEFT JOIN notifications AS n ON n.user_id = s.user_id
            GROUP BY s.user_id, s.last_seq
            """;
        using var timeout = new CancellationTokenSource(QueryTimeout);
        await using var connection = new NpgsqlConnection(SchemaConnectionString(_postgres));
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(timeout.Token);
        var streams = new Dictionary<string, StoredStream>(StringComparer.Ordinal);
        while (await reader.ReadAsync(timeout.Token))
        {
            streams[reader.GetString(0)] = new StoredStream(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        }

        return streams;
    }

    /// <summary>The last seq the store assigned to a user (0 for a user without notifications).</summary>
    public async Task<long> LastSeqAsync(string userId) =>
        (await ReadStreamsAsync()).TryGetValue(userId, out var stream) ? stream.LastSeq : 0;

    /// <summary>Counts of one log event id over the in-process replicas (child processes are not captured).</summary>
    public int CountLogEvents(int eventId) =>
        InProcessReplicas.Sum(r => r.Server.Logs.Count(log => log.Id.Id == eventId && log.Category?.StartsWith("NotifyPush.", StringComparison.Ordinal) == true));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(Replicas.Select(r => r.DisposeAsync().AsTask()));
        }
        finally
        {
            await DropSchemaAsync();
        }
    }

    private async Task DropSchemaAsync()
    {
        using var timeout = new CancellationTokenSource(QueryTimeout);
        await using var connection = new NpgsqlConnection(_postgres.ConnectionString);
        await connection.OpenAsync(timeout.Token);
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync(timeout.Token);
    }

    private Dictionary<string, string?> ReplicaSettings(NpgsqlConnectionStringBuilder postgres)
    {
        var settings = NotifyPushTestServer.CommonSettings();
        settings["NotifyPush:Store:Provider"] = "Postgres";
        settings["NotifyPush:Store:ConnectionString"] = SchemaConnectionString(postgres);
        settings["NotifyPush:Backplane:Provider"] = "Redis";
        settings["NotifyPush:Backplane:Configuration"] = RedisConfiguration;
        settings["NotifyPush:Backplane:ChannelPrefix"] = ChannelPrefix;
        // Pings every few seconds, so the clients' pong answers are part of every run.
        settings["NotifyPush:Connections:HeartbeatSeconds"] = "5";
        foreach (var (key, value) in _settings)
        {
            settings[key] = value;
        }

        return settings;
    }

    private string SchemaConnectionString(NpgsqlConnectionStringBuilder postgres) =>
        new NpgsqlConnectionStringBuilder(postgres.ConnectionString)
        {
            SearchPath = Schema,
            // Three replicas and the test's own queries share the test server's 300 connections with other tests.
            MaxPoolSize = 40,
        }.ConnectionString;

    private void Add(ClusterReplica replica)
    {
        lock (_replicas)
        {
            _replicas.Add(replica);
        }
    }
}

/// <summary>One user's stream in the store: its counter and the rows it holds.</summary>
public sealed record StoredStream(long LastSeq, long Rows, long MinSeq, long MaxSeq)
{
    /// <summary>True when the rows are exactly seq 1..LastSeq, one each.</summary>
    public bool IsGapFree => Rows == LastSeq && (LastSeq == 0 || (MinSeq == 1 && MaxSeq == LastSeq));
}
