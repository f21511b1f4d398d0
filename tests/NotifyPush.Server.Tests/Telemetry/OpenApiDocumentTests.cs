using System.Net;
using System.Text.Json;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Telemetry;

/// <summary><c>/openapi/v1.json</c>: the service API as clients and code generators read it.</summary>
public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task Document_DescribesSendHistoryDisconnectAndPresence_WithBodiesCredentialsProblemDetailsAndHeaders()
    {
        using var server = new NotifyPushTestServer();
        using var client = server.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = root.GetProperty("paths");

        // The service API and the browser's Web Push and event-stream routes: no health, metrics or socket routes.
        Assert.Equal(
            ["/api/notifications", "/api/presence", "/api/users/{userId}/disconnect", "/api/users/{userId}/notifications", "/api/users/{userId}/presence",
             "/push/subscriptions", "/push/vapid-public-key", "/sse", "/sse/ack"],
            paths.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var send = paths.GetProperty("/api/notifications").GetProperty("post");
        Assert.Equal("SendNotification", send.GetProperty("operationId").GetString());
        var body = Resolve(root, send.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        var members = body.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["payload", "ttlSeconds", "type", "userId", "userIds", "webPush"], members.Order(StringComparer.Ordinal));
        var accepted = Resolve(root, send.GetProperty("responses").GetProperty("202").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.True(accepted.GetProperty("properties").TryGetProperty("notifications", out _), "the 202 body lists the notifications");
        AssertProblems(root, send, "400", "401", "403", "413", "415", "422", "429", "503");
        // The idempotent retry: the key as a request header, the replay marker and when to retry as response headers.
        Assert.Contains(send.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
        Assert.True(send.GetProperty("responses").GetProperty("202").GetProperty("headers").TryGetProperty("Idempotent-Replayed", out _), "202 declares Idempotent-Replayed");
        AssertRetryAfter(send, "429", "503");

        var history = paths.GetProperty("/api/users/{userId}/notifications").GetProperty("get");
        var page = Resolve(root, history.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["ackedSeq", "lastSeq", "notifications", "prunedSeq", "userId"], page.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains(history.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "userId" && p.GetProperty("in").GetString() == "path");
        AssertProblems(root, history, "400", "401", "403", "429", "503");

        var disconnect = paths.GetProperty("/api/users/{userId}/disconnect").GetProperty("post");
        Assert.True(disconnect.GetProperty("responses").TryGetProperty("202", out _));
        AssertProblems(root, disconnect, "400", "401", "403", "429", "503");
        AssertRetryAfter(disconnect, "429", "503");

        var presence = paths.GetProperty("/api/users/{userId}/presence").GetProperty("get");
        var state = Resolve(root, presence.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["lastSeenAt", "online", "replicas", "sockets", "userId"], state.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        AssertProblems(root, presence, "400", "401", "403", "429", "503");
        AssertProblems(root, paths.GetProperty("/api/presence").GetProperty("post"), "400", "401", "403", "429", "503");

        // Both service credentials are declared and required.
        var schemes = root.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("apiKey", schemes.GetProperty("ApiKey").GetProperty("type").GetString());
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
        Assert.Equal(2, root.GetProperty("security").GetArrayLength());

        // Web Push: a browser saves and removes its subscription with the user's credential; the public key is public.
        var subscribe = paths.GetProperty("/push/subscriptions").GetProperty("post");
        var subscription = Resolve(root, subscribe.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["endpoint", "expirationTime", "keys"], subscription.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.True(subscribe.GetProperty("responses").TryGetProperty("201", out _));
        AssertProblems(root, subscribe, "401", "403", "404", "409", "415", "503");
        var unsubscribe = paths.GetProperty("/push/subscriptions").GetProperty("delete");
        Assert.True(unsubscribe.GetProperty("responses").TryGetProperty("204", out _));
        var userSchemes = subscribe.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Order(StringComparer.Ordinal);
        Assert.Equal(["UserCookie", "UserToken"], userSchemes);
        Assert.Equal("bearer", schemes.GetProperty("UserToken").GetProperty("scheme").GetString());
        // The Server-Sent Events fallback: a user credential; the stream answers text/event-stream and resumes after
        // since or Last-Event-ID; an ack is {"seq": N}.
        var stream = paths.GetProperty("/sse").GetProperty("get");
        Assert.Equal("OpenEventStream", stream.GetProperty("operationId").GetString());
        Assert.True(stream.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/event-stream", out _), "the stream is text/event-stream");
        Assert.Equal(["Last-Event-ID", "access_token", "since"], stream.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        AssertProblems(root, stream, "400", "401", "403", "406", "429", "503");
        AssertRetryAfter(stream, "429", "503");
        Assert.Equal(["UserCookie", "UserToken"], stream.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Order(StringComparer.Ordinal));
        var ack = paths.GetProperty("/sse/ack").GetProperty("post");
        var ackBody = Resolve(root, ack.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["seq"], ackBody.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.True(ack.GetProperty("responses").TryGetProperty("204", out _));
        AssertProblems(root, ack, "400", "401", "403", "422", "503");
        Assert.Equal(["UserCookie", "UserToken"], ack.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Order(StringComparer.Ordinal));

        var publicKey = paths.GetProperty("/push/vapid-public-key").GetProperty("get");
        Assert.Equal(0, publicKey.GetProperty("security").GetArrayLength());
        Assert.True(Resolve(root, publicKey.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"))
            .GetProperty("properties").TryGetProperty("publicKey", out _));
    }

    [Fact]
    public async Task Document_WhenTurnedOff_IsNotServed()
    {
        using var server = new NotifyPushTestServer(new Dictionary<string, string?> { ["NotifyPush:Api:OpenApiDocument"] = "false" });
        using var client = server.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>Each status is documented as application/problem+json with a problem details schema.</summary>
    private static void AssertProblems(JsonElement root, JsonElement operation, params string[] statuses)
    {
        var responses = operation.GetProperty("responses");
        foreach (var status in statuses)
        {
            Assert.True(responses.TryGetProperty(status, out var response), $"{status} is documented");
            var schema = Resolve(root, response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema"));
            var properties = schema.GetProperty("properties");
            Assert.True(properties.TryGetProperty("title", out _) && properties.TryGetProperty("status", out _) && properties.TryGetProperty("detail", out _), $"{status} is a problem details body");
        }
    }

    /// <summary>Each status declares the <c>Retry-After</c> response header.</summary>
    private static void AssertRetryAfter(JsonElement operation, params string[] statuses)
    {
        foreach (var status in statuses)
        {
            var response = operation.GetProperty("responses").GetProperty(status);
            Assert.True(response.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Retry-After", out _), $"{status} declares Retry-After");
        }
    }

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var name = reference.GetString()!["#/components/schemas/".Length..];
        return root.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }
}
