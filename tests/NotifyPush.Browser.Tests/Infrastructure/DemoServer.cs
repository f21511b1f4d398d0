
namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>
/// A test server in Development: the demo page, <c>POST /dev/token</c>, <c>POST /dev/send</c> (the page's send form,
/// which holds no service key) and <c>/notifypush.js</c>.
/// </summary>
public static class DemoServer
{
    /// <summary>Starts a server in Development with its own SQLite file.</summary>
    public static NotifyPushTestServer Start(IDictionary<string, string?>? settings = null)
    {
        return new NotifyPushTestServer(settings, environment: "Development");
    }
}
