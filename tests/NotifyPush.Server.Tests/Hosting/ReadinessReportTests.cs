using System.Net;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Server.Tests.Hosting;

/// <summary><c>/readyz</c> answers anyone: it says ready or not, and names nothing behind the replica.</summary>
public sealed class ReadinessReportTests
{
    [Fact]
    public async Task Readyz_WithARedisBackplane_SaysConnectedWithoutNamingTheRedisEndpoint()
    {
        var redis = TestEnvironment.RequireRedis();
        using var server = new NotifyPushTestServer(new Dictionary<string, string?>
        {
            ["NotifyPush:Backplane:Provider"] = "Redis",
            ["NotifyPush:Backplane:Configuration"] = redis,
            ["NotifyPush:Backplane:ChannelPrefix"] = $"readyz-{Guid.NewGuid():N}",
        });
        using var client = server.CreateClient();

        JsonElement report = default;
        await ServiceApi.EventuallyAsync(
            async () =>
            {
                using var response = await client.GetAsync("/readyz");
                report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                return response.StatusCode == HttpStatusCode.OK && report.GetProperty("backplane").GetProperty("connected").GetBoolean();
            },
            "/readyz reports the Redis backplane connected");

        var text = report.GetRawText();
        Assert.Equal("ready", report.GetProperty("status").GetString());
        Assert.Equal("connected", report.GetProperty("backplane").GetProperty("state").GetString());
        var host = redis.Split(',')[0];
        Assert.DoesNotContain(host, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(host.Split(':')[^1], text, StringComparison.Ordinal);
    }
}
