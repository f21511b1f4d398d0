using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Tests.Cluster;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>The console in JSON, as the compose file runs it: one object per line, with the caller's trace id in the scopes.</summary>
public sealed class JsonConsoleLogTests
{
    [Fact]
    public async Task JsonConsole_LogsEachEventAsOneJsonLine_WithTheCallersTraceIdInItsScopes()
    {
        var data = Path.Combine(Path.GetTempPath(), "notifypush-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        var settings = NotifyPushTestServer.CommonSettings();
        settings["NotifyPush:Store:ConnectionString"] = $"Data Source={Path.Combine(data, "notifypush.db")}";
        settings["Logging:Console:FormatterName"] = "json";
        settings["Logging:Console:FormatterOptions:IncludeScopes"] = "true";
        try
        {
            await using var replica = await ProcessReplica.StartAsync("json", settings);
            var traceId = ActivityTraceId.CreateRandom();
            using var client = new HttpClient { BaseAddress = replica.BaseAddress };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications")
            {
                Content = new StringContent("""{"userId":"u1","type":"t"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("ApiKey", "not-the-key");
            request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

            // The problem body names the same trace, so a caller can find the server's log lines.
            Assert.Contains(traceId.ToString(), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            JsonElement? rejected = null;
            await ServiceApi.EventuallyAsync(
                () =>
                {
                    rejected = JsonLines(replica.Output).Cast<JsonElement?>().FirstOrDefault(l => l!.Value.GetProperty("EventId").GetInt32() == NotifyPushEventIds.AuthServiceCallRejected);
                    return Task.FromResult(rejected is not null);
                },
                "the refused call is logged");
            var scopes = rejected!.Value.GetProperty("Scopes").EnumerateArray().ToList();
            Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out var id) && id.GetString() == traceId.ToString());
            Assert.Equal("Information", rejected.Value.GetProperty("LogLevel").GetString());

            // Every line the server wrote is JSON, the start-up lines included.
            var lines = replica.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.All(lines, line => Assert.StartsWith("{", line, StringComparison.Ordinal));
            Assert.Equal(lines.Length, JsonLines(replica.Output).Count);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static List<JsonElement> JsonLines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
}
