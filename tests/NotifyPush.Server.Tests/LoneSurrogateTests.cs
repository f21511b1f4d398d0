using System.Net;
using System.Text;
using System.Text.Json;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// A JSON escape of a lone surrogate (<c>"\ud800"</c>) is valid JSON syntax but no text: every body route answers it
/// with 400 problem+json, whichever string holds it, and never with a 500 from reading the string later.
/// </summary>
public sealed class LoneSurrogateTests : IDisposable
{
    private readonly NotifyPushTestServer _server = new(environment: "Development");

    public void Dispose() => _server.Dispose();

    public static TheoryData<string> SendBodies() =>
    [
        """{"userId":"u-\ud800","type":"t"}""",
        """{"userId":"u-\udc00","type":"t"}""",
        """{"userId":"u","type":"t-\ud800"}""",
        """{"userIds":["u","v-\ud800"],"type":"t"}""",
        """{"userId":"u","type":"t","payload":"\ud800"}""",
        """{"userId":"u","type":"t","payload":{"text":"a\ud800b"}}""",
        """{"userId":"u","type":"t","payload":{"\udfff":1}}""",
        """{"userId":"u","type":"t","payload":["\ud83d\ud83d\ude00"]}""",
        """{"userId":"u","type":"t","payload":"\ude00\ud83d"}""",
        """{"userId":"u","type":"t","\ud800":1}""",
    ];

    [Theory]
    [MemberData(nameof(SendBodies))]
    public async Task Send_WithALoneSurrogateEscapeAnywhere_Returns400AndStoresNothing(string body)
    {
        using var api = _server.CreateServiceClient();

        using var response = await ServiceApi.PostRawAsync(api, body);

        await AssertBadRequestAsync(response);
        var store = _server.GetService<INotificationStore>();
        foreach (var user in new[] { "u", "v-\ud800", "u-\ud800", "u-\udc00" })
        {
            Assert.Equal(0, (await store.GetStreamStateAsync(user, CancellationToken.None)).LastSeq);
        }
    }

    [Fact]
    public async Task Send_WithASurrogatePairEscape_IsAcceptedAndStoredAsThatCharacter()
    {
        using var api = _server.CreateServiceClient();
        var user = $"user-{Guid.NewGuid():N}";

        using var response = await ServiceApi.PostRawAsync(api, $$$"""{"userId":"{{{user}}}","type":"t","payload":{"text":"\ud83d\ude00 \\ud800"}}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var rows = await _server.GetService<INotificationStore>().ReadAsync(user, 0, 10, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal("\U0001F600 \\ud800", JsonDocument.Parse(Assert.Single(rows).PayloadJson).RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public async Task DevSend_WithALoneSurrogateEscape_Returns400()
    {
        using var client = _server.CreateClient();

        using var response = await client.PostAsync("/dev/send", Json("""{"userId":"u","type":"t","payload":"\ud800"}"""));

        await AssertBadRequestAsync(response);
    }

    [Theory]
    [InlineData("""{"userIds":["\ud800"]}""")]
    [InlineData("""{"userIds":["ok","x\udbff"]}""")]
    [InlineData("""{"userIds":["ok"],"\ud800":1}""")]
    public async Task Presence_WithALoneSurrogateEscape_Returns400(string body)
    {
        using var api = _server.CreateServiceClient();

        using var response = await api.PostAsync("/api/presence", Json(body));

        await AssertBadRequestAsync(response);
    }

    [Theory]
    [InlineData("""{"userId":"\ud800"}""")]
    [InlineData("""{"userId":"a","\udc00":1}""")]
    public async Task DevToken_WithALoneSurrogateEscape_Returns400(string body)
    {
        using var client = _server.CreateClient();

        using var response = await client.PostAsync("/dev/token", Json(body));

        await AssertBadRequestAsync(response);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task AssertBadRequestAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, JsonDocument.Parse(text).RootElement.GetProperty("status").GetInt32());
    }
}
