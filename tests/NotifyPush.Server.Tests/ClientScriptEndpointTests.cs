using System.Net;
using System.Net.Http.Headers;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary><c>/notifypush.js</c> and <c>/notifypush.d.ts</c>: the embedded browser client, served in every environment.</summary>
public sealed class ClientScriptEndpointTests : IDisposable
{
    // TestServer runs in Production unless told otherwise: the client must not depend on the demo page's static files.
    private readonly TestServer _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task GetScript_InProduction_ServesTheSourceFileByteForByte()
    {
        using var client = _server.CreateClient();
        using var response = await client.GetAsync("/notifypush.js").WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(TimeSpan.FromSeconds(300), response.Headers.CacheControl?.MaxAge);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.False(response.Headers.ETag?.IsWeak ?? true, "The ETag must be strong.");
        var expected = await File.ReadAllBytesAsync(SourceFile("notifypush.js"));
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetScript_WithMatchingIfNoneMatch_Returns304WithoutBody()
    {
        using var client = _server.CreateClient();
        using var first = await client.GetAsync("/notifypush.js").WithTimeout();
        var etag = first.Headers.ETag ?? throw new InvalidOperationException("No ETag.");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifypush.js");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await client.SendAsync(request).WithTimeout();

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
        Assert.Equal(TimeSpan.FromSeconds(300), second.Headers.CacheControl?.MaxAge);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetScript_WithAnotherIfNoneMatch_ServesTheFile()
    {
        using var client = _server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifypush.js");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"an-older-build\""));
        using var response = await client.SendAsync(request).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/notifypush.js")]
    [InlineData("/notifypush.d.ts")]
    public async Task Get_FromAPageOfAnotherOrigin_AllowsAnyOriginWithoutCredentials(string path)
    {
        using var client = _server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Origin", "https://app.example");
        using var response = await client.SendAsync(request).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertCrossOrigin(response);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"), "A public file allows no credentials.");
    }

    [Fact]
    public async Task GetScript_Revalidated_Returns304ThatAllowsAnyOriginToo()
    {
        using var client = _server.CreateClient();
        using var first = await client.GetAsync("/notifypush.js").WithTimeout();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/notifypush.js");
        request.Headers.Add("Origin", "https://app.example");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag ?? throw new InvalidOperationException("No ETag."));
        using var response = await client.SendAsync(request).WithTimeout();

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        AssertCrossOrigin(response);
    }

    [Fact]
    public async Task GetTypes_InProduction_ServesTheDeclarationFile()
    {
        using var client = _server.CreateClient();
        using var response = await client.GetAsync("/notifypush.d.ts").WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        var expected = await File.ReadAllBytesAsync(SourceFile("notifypush.d.ts"));
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    private static void AssertCrossOrigin(HttpResponseMessage response)
    {
        Assert.Equal(["*"], response.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["cross-origin"], response.Headers.GetValues("Cross-Origin-Resource-Policy"));
    }

    private static string SourceFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NotifyPush.sln")))
            {
                return Path.Combine(directory.FullName, "src", "notifypush-js", name);
            }
        }

        throw new InvalidOperationException($"NotifyPush.sln was not found above {AppContext.BaseDirectory}.");
    }
}
