namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// Where the Redis tests find the shared test Redis (redis-server for outage tests: TestEnvironment). The test script (scripts/test.sh) sets the variables; a test that
/// needs one that is missing fails with a message saying what to set, it is never skipped.
/// </summary>
internal static class RedisTestEnvironment
{
    public const string RedisVariable = "NOTIFYPUSH_TEST_REDIS";

    /// <summary>The shared test Redis, <c>host:port</c>, from <c>NOTIFYPUSH_TEST_REDIS</c>.</summary>
    public static string RequireRedis()
    {
        var value = Environment.GetEnvironmentVariable(RedisVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{RedisVariable} is not set. Run the tests through scripts/test.sh, which starts Redis, or start one " +
                $"(redis-server --port 6390 --save '' --appendonly no --daemonize yes) and set {RedisVariable}=127.0.0.1:6390.");
        }

        return value.Trim();
    }
}
