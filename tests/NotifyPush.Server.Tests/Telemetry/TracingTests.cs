using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Tests.Cluster;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary>The send path's spans: the POST continues the caller's trace, and the replica holding the socket links its dispatch to it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TracingTests
{
    [Fact]
    public async Task Send_WithATraceparent_IsTracedThroughAppendAndPublish_AndTheOtherReplicasDispatchLinksToIt()
    {
        var spans = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == NotifyPushTracing.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await using var cluster = await TestCluster.StartAsync(replicas: 2);
        var (holder, sender) = (cluster.Replicas[0], cluster.Replicas[1]);
        var user = $"traced-{Guid.NewGuid():N}";
        await using var socket = await TestSocket.ConnectAsync(holder.SocketUriFor(user));
        await socket.ReadUntilSyncedAsync();

        var traceId = ActivityTraceId.CreateRandom();
        var callerSpan = ActivitySpanId.CreateRandom();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications")
        {
            Content = new StringContent($$"""{"userId":"{{user}}","type":"traced"}""", Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("traceparent", $"00-{traceId}-{callerSpan}-01");
            using var response = await sender.Api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        Assert.Single(await socket.ReadNotificationsAsync(1));
        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(spans.Any(s => s.OperationName == "notifypush.dispatch" && s.Links.Any(l => l.Context.TraceId == traceId))),
            "the holder's dispatch span, linked to the send, has ended");

        var post = Assert.Single(spans, s => s.TraceId == traceId && s.Kind == ActivityKind.Server);
        Assert.Equal("POST /api/notifications", post.DisplayName);
        // The caller's span is the parent, or the grandparent when ASP.NET Core's own request activity is on (as in these
        // test hosts, whose Debug logging enables it).
        Assert.True(post.ParentSpanId == callerSpan || post.Parent?.ParentSpanId == callerSpan, $"the POST's span continues the caller's span {callerSpan}");
        Assert.Equal(202, post.GetTagItem("http.response.status_code"));

        var append = Assert.Single(spans, s => s.TraceId == traceId && s.OperationName == "notifypush.store.append");
        Assert.Equal(post.SpanId, append.ParentSpanId);
        Assert.Equal(ActivityKind.Client, append.Kind);
        Assert.Equal("postgresql", append.GetTagItem("db.system.name"));

        // The doorbell rings after the 202, in a batch that may serve several sends: linked, not a child.
        var publish = Assert.Single(spans, s => s.OperationName == "notifypush.backplane.publish" && s.Links.Any(l => l.Context.SpanId == post.SpanId));
        Assert.Equal(ActivityKind.Producer, publish.Kind);

        // The holder learned the send's context from the Redis message.
        var dispatch = Assert.Single(spans, s => s.OperationName == "notifypush.dispatch" && s.Links.Any(l => l.Context.TraceId == traceId));
        Assert.Equal(post.SpanId, Assert.Single(dispatch.Links).Context.SpanId);
        Assert.Equal(ActivityKind.Consumer, dispatch.Kind);
        Assert.Equal(1, dispatch.GetTagItem("notifypush.local_sockets"));

        // No span carries the user id.
        Assert.DoesNotContain(spans.Where(s => s.TraceId == traceId || s == publish || s == dispatch).SelectMany(s => s.Tags), t => t.Value?.Contains(user, StringComparison.Ordinal) == true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Otlp_WhenAnEndpointIsSet_ExportsTheSendsTraceAndTheMetricsToIt(bool standardVariables)
    {
        await using var collector = await OtlpCollector.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            // The SDK's standard settings, read from configuration: export soon rather than every 5 s / 60 s.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        };
        if (standardVariables)
        {
            // As an environment variable would set them (environment variables are configuration keys too).
            settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseAddress.ToString();
            settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        }
        else
        {
            settings["NotifyPush:Telemetry:OtlpEndpoint"] = collector.BaseAddress.ToString();
            settings["NotifyPush:Telemetry:OtlpProtocol"] = "HttpProtobuf";
        }

        using var server = new NotifyPushTestServer(settings);
        using var api = server.CreateServiceClient();
        var traceId = ActivityTraceId.CreateRandom();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications")
        {
            Content = new StringContent($$"""{"userId":"otlp-{{Guid.NewGuid():N}}","type":"exported"}""", Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
            using var response = await api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // OTLP/HTTP bodies are protobuf: a trace id is its 16 raw bytes, a metric name its UTF-8 text.
        var traceIdBytes = new byte[16];
        traceId.CopyTo(traceIdBytes);
        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(collector.Received("/v1/traces").Any(body => body.AsSpan().IndexOf(traceIdBytes) >= 0)),
            "the collector received the send's trace");
        await ServiceApi.EventuallyAsync(
            () => Task.FromResult(collector.Received("/v1/metrics").Any(body => body.AsSpan().IndexOf("notifypush.notifications.accepted"u8) >= 0)),
            "the collector received NotifyPush's metrics");
    }

    /// <summary>A stand-in OpenTelemetry collector: accepts OTLP/HTTP exports on Kestrel and keeps their bodies.</summary>
    private sealed class OtlpCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, byte[] Body)> _received = new();

        private OtlpCollector(WebApplication app) => _app = app;

        public Uri BaseAddress => new(_app.Urls.First());

        public static async Task<OtlpCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var collector = new OtlpCollector(app);
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                collector._received.Enqueue((context.Request.Path.Value!, body.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
                return Results.Ok();
            });
            await app.StartAsync();
            return collector;
        }

        public IEnumerable<byte[]> Received(string path) => _received.Where(r => r.Path == path).Select(r => r.Body);

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
