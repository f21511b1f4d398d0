using NotifyPush.Core.Connections;

namespace NotifyPush.Browser.Tests.Infrastructure;

/// <summary>What the server sees: the open sockets of a user on a test server.</summary>
public static class ServerSockets
{
    /// <summary>The connection ids of the user's registered sockets that have not been asked to close.</summary>
    public static string[] Of(NotifyPushTestServer server, string userId)
    {
        var registry = server.GetService<ConnectionRegistry>();
        var ids = new List<string>();
        foreach (var connection in registry.GetConnections(userId))
        {
            if (connection.CloseCode == 0)
            {
                ids.Add(connection.ConnectionId);
            }
        }

        return [.. ids];
    }

    /// <summary>Polls until the user's open sockets satisfy <paramref name="condition"/>; fails with what the server saw.</summary>
    public static Task<string[]> WaitForAsync(NotifyPushTestServer server, string userId, Func<string[], bool> condition, string what) =>
        Poll.UntilAsync(
            () => Of(server, userId),
            condition,
            what,
            BrowserTest.Timeout,
            sockets => $"the server has {sockets.Length} open socket(s) of {userId}: [{string.Join(", ", sockets)}]");
}
