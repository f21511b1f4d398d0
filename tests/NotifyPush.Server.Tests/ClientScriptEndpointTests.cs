using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests;

/// <summary>
/// <c>/notifypush.js</c>, the modules it imports and <c>/notifypush.d.ts</c>: the embedded browser client, served in
/// every environment.
/// </summary>
public sealed partial class ClientScriptEndpointTests : IDisposable
{
    // NotifyPushTestServer runs in Production unless told otherwise: the client must not depend on the demo page's static files.
    private readonly NotifyPushTestServer _server = new();

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

    public static TheoryData<string> Modules() => new(ModuleFiles());

    [Theory]
    [MemberData(nameof(Modules))]
    public async Task GetModule_InProduction_ServesTheSourceFileByteForByteAsTheEntryIs(string file)
    {
        using var client = _server.CreateClient();
        using var response = await client.GetAsync("/" + file).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(TimeSpan.FromSeconds(300), response.Headers.CacheControl?.MaxAge);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.False(response.Headers.ETag?.IsWeak ?? true, "The ETag must be strong.");
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        AssertCrossOrigin(response);
        var expected = await File.ReadAllBytesAsync(SourceFile(file));
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GetScript_ItsRelativeImports_LeadToEveryModuleTheServerServes()
    {
        // What a browser does with `import '/notifypush.js'`: fetch it, then every module it imports, relative to it.
        using var client = _server.CreateClient();
        var reached = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(["notifypush.js"]);
        while (pending.TryDequeue(out var file))
        {
            if (!reached.Add(file))
            {
                continue;
            }

            using var response = await client.GetAsync("/" + file).WithTimeout();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"/{file} answered {(int)response.StatusCode}.");
            foreach (Match import in RelativeImport().Matches(await response.Content.ReadAsStringAsync()))
            {
                pending.Enqueue(import.Groups["file"].Value);
            }
        }

        Assert.True(reached.Count > 1, "notifypush.js imports its modules relatively.");
        Assert.Equal(ModuleFiles(), reached);
    }

    [Theory]
    [InlineData("/notifypush.js")]
    [InlineData("/notifypush-shared.js")]
    public async Task GetScript_WithMatchingIfNoneMatch_Returns304WithoutBody(string path)
    {
        using var client = _server.CreateClient();
        using var first = await client.GetAsync(path).WithTimeout();
        var etag = first.Headers.ETag ?? throw new InvalidOperationException("No ETag.");

        using var request = new HttpRequestMessage(HttpMethod.Get, path);
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
    [InlineData("/notifypush-shared.js")]
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

    [Theory]
    [InlineData("/notifypush.js")]
    [InlineData("/notifypush-shared.js")]
    public async Task GetScript_Revalidated_Returns304ThatAllowsAnyOriginToo(string path)
    {
        using var client = _server.CreateClient();
        using var first = await client.GetAsync(path).WithTimeout();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
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

    /// <summary>A static import or re-export of a module beside the file: <c>import … from './notifypush-shared.js'</c>.</summary>
    /// <remarks>Statements start a line; a JSDoc <c>@import</c> (types only, never fetched) does not.</remarks>
    [GeneratedRegex(@"^(?:import|export)\b[^;]*?\bfrom\s+'\./(?<file>[\w.-]+\.js)'", RegexOptions.Multiline)]
    private static partial Regex RelativeImport();

    /// <summary>Every module of the client: the <c>.js</c> files in <c>src/notifypush-js</c> (its tests are in <c>test/</c>).</summary>
    /// <summary>The client's modules: every .js file beside it except the service worker, a script of its own that no module imports.</summary>
    private static string[] ModuleFiles() =>
        [.. Directory.GetFiles(SourceFile(""), "*.js").Select(path => Path.GetFileName(path)).Where(file => file != ServiceWorkerFile).Order(StringComparer.Ordinal)];

    private const string ServiceWorkerFile = "notifypush-sw.js";

    [Fact]
    public async Task GetServiceWorker_ServesTheSourceFileByteForByte_AsJavaScript()
    {
        using var client = _server.CreateClient();
        using var response = await client.GetAsync("/" + ServiceWorkerFile).WithTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(SourceFile(ServiceWorkerFile)), await response.Content.ReadAsByteArrayAsync());
    }

    private static string SourceFile(string name) => Path.Combine(RepositoryFiles.Root, "src", "notifypush-js", name);
}
