namespace NotifyPush.Specification.Tests;

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

    /// <summary>The connection string of the test PostgreSQL, e.g. <c>Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres</c>.</summary>
    public static string RequirePostgres() => Require(PostgresVariable, "PostgreSQL");

    /// <summary>The configuration of the test Redis, e.g. <c>127.0.0.1:6380</c>.</summary>
    public static string RequireRedis() => Require(RedisVariable, "Redis");

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
