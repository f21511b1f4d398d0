namespace NotifyPush.Testing;

/// <summary>
/// The servers that <c>scripts/test.sh</c> starts for the integration tests. A test that needs one calls
/// <c>Require…</c> and fails loudly when it is missing: integration tests are never skipped silently.
/// </summary>
public static class TestEnvironment
{
    /// <summary>Environment variable with the Npgsql connection string of the test PostgreSQL.</summary>
    public const string PostgresVariable = "NOTIFYPUSH_TEST_POSTGRES";

    /// <summary>Environment variable with the StackExchange.Redis configuration of the test Redis.</summary>
    public const string RedisVariable = "NOTIFYPUSH_TEST_REDIS";

    /// <summary>Environment variable with the path of the redis-server executable that outage tests start privately.</summary>
    public const string RedisServerVariable = "NOTIFYPUSH_TEST_REDIS_SERVER";

    /// <summary>Environment variable with the folder of the PostgreSQL programs (initdb, pg_ctl) that restart tests run privately.</summary>
    public const string PostgresBinariesVariable = "NOTIFYPUSH_TEST_PG_BIN";

    /// <summary>Environment variable with the path of redis-cli (Debian's redis-tools), for Redis Cluster.</summary>
    public const string RedisCliVariable = "NOTIFYPUSH_TEST_REDIS_CLI";

    /// <summary>Environment variable with the path of redis-sentinel, for a Sentinel group.</summary>
    public const string RedisSentinelVariable = "NOTIFYPUSH_TEST_REDIS_SENTINEL";

    /// <summary>The connection string of the test PostgreSQL, e.g. <c>Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres</c>.</summary>
    public static string RequirePostgres() => Require(PostgresVariable, "PostgreSQL");

    /// <summary>The configuration of the test Redis, e.g. <c>127.0.0.1:6380</c>.</summary>
    public static string RequireRedis() => Require(RedisVariable, "Redis");

    /// <summary>
    /// The redis-server executable for tests that stop and restart a Redis of their own
    /// (<see cref="RedisServerProcess"/>), from <c>NOTIFYPUSH_TEST_REDIS_SERVER</c> or <c>/usr/bin/redis-server</c>.
    /// </summary>
    public static string RequireRedisServerExecutable() => RequireExecutable(RedisServerVariable, "/usr/bin/redis-server", "redis-server");

    /// <summary>redis-cli (<see cref="RedisClusterServer"/>), from <c>NOTIFYPUSH_TEST_REDIS_CLI</c> or <c>/usr/bin/redis-cli</c>.</summary>
    public static string RequireRedisCliExecutable() => RequireExecutable(RedisCliVariable, "/usr/bin/redis-cli", "redis-tools");

    /// <summary>redis-sentinel (<see cref="RedisSentinelGroup"/>), from <c>NOTIFYPUSH_TEST_REDIS_SENTINEL</c> or <c>/usr/bin/redis-sentinel</c>.</summary>
    public static string RequireRedisSentinelExecutable() => RequireExecutable(RedisSentinelVariable, "/usr/bin/redis-sentinel", "redis-sentinel");

    /// <summary>A program's path: from <paramref name="variable"/> when set, else Debian's <paramref name="fallback"/>; throws naming the package when missing.</summary>
    public static string RequireExecutable(string variable, string fallback, string package)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        var path = string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fallback)} was not found at '{path}'. Install it (apt-get install {package}) or set {variable} to its path.");
        }

        return path;
    }

    /// <summary>
    /// The folder holding initdb and pg_ctl, for tests that restart a PostgreSQL of their own
    /// (<see cref="PostgresServerProcess"/>): <c>NOTIFYPUSH_TEST_PG_BIN</c>, else the newest <c>/usr/lib/postgresql/*/bin</c>
    /// (Debian's layout, as <c>scripts/test.sh</c> picks it).
    /// </summary>
    public static string RequirePostgresBinaries()
    {
        var value = Environment.GetEnvironmentVariable(PostgresBinariesVariable);
        IEnumerable<string> candidates = string.IsNullOrWhiteSpace(value)
            ? (Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [])
                .Select(version => Path.Combine(version, "bin"))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
            : [value.Trim()];
        var found = candidates.FirstOrDefault(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")));
        return found ?? throw new InvalidOperationException(
            $"initdb and pg_ctl were not found (looked in {(string.IsNullOrWhiteSpace(value) ? "/usr/lib/postgresql/*/bin" : value)}). " +
            $"Install PostgreSQL (apt-get install postgresql) or set {PostgresBinariesVariable} to the folder that holds them.");
    }

    private static string Require(string variable, string server)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{variable} is not set, so this test has no {server} to run against. Run the tests with " +
                "'bash scripts/test.sh' (it starts throw-away Redis and PostgreSQL servers and sets the variables), " +
                "or, for one project: 'bash scripts/test.sh --run dotnet test <project>'.");
        }

        return value;
    }
}
