namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// The redis-server executable that the outage tests start privately (the shared test Redis comes from
/// <c>TestEnvironment.RequireRedis()</c>). Missing, it fails the test with a message saying what to set.
/// </summary>
internal static class RedisTestEnvironment
{
    public const string RedisServerVariable = "NOTIFYPUSH_TEST_REDIS_SERVER";
    private const string DefaultRedisServer = "/usr/bin/redis-server";

    /// <summary>The path from <c>NOTIFYPUSH_TEST_REDIS_SERVER</c> (set by scripts/test.sh), else /usr/bin/redis-server.</summary>
    public static string RequireRedisServerExecutable()
    {
        var value = Environment.GetEnvironmentVariable(RedisServerVariable);
        var path = string.IsNullOrWhiteSpace(value) ? DefaultRedisServer : value.Trim();
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"redis-server was not found at '{path}'. Install it (apt-get install redis-server) or set {RedisServerVariable} to its path.");
        }

        return path;
    }
}
