using System.Security.Cryptography;
using System.Text;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>A test server in Development: the demo page, <c>POST /dev/token</c> and <c>/notifypush.js</c>.</summary>
public static class DemoServer
{
    /// <summary>The Development service key the demo page's send form uses.</summary>
    public const string DevApiKey = "dev-api-key";

    /// <summary>
    /// Starts a server in Development with its own SQLite file. The test server configures its own API key, so
    /// Development does not fill in <c>dev-api-key</c>: it is added here as a second key for the demo page.
    /// </summary>
    public static TestServer Start(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["NotifyPush:Auth:ApiKeys:1:Name"] = "dev",
            ["NotifyPush:Auth:ApiKeys:1:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(DevApiKey))),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new TestServer(all, environment: "Development");
    }
}
