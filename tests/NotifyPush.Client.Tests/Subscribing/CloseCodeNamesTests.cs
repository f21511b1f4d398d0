using System.Reflection;
using NotifyPush.Client.Subscribing;
using ServerCloseCodes = NotifyPush.Core.Protocol.CloseCodes;

namespace NotifyPush.Client.Tests.Subscribing;

/// <summary>Server and .NET client name every close code alike (notifypush.js's <c>CloseCodes</c> is checked by its own tests).</summary>
public sealed class CloseCodeNamesTests
{
    [Fact]
    public void EveryCodeTheServerSends_HasTheSameNameAndValueInTheClient()
    {
        var server = Constants(typeof(ServerCloseCodes));
        var client = Constants(typeof(NotifyPushCloseCodes));

        Assert.NotEmpty(server);
        Assert.All(server, pair => Assert.True(
            client.TryGetValue(pair.Key, out var value) && value == pair.Value,
            $"The server's CloseCodes.{pair.Key} = {pair.Value} is not NotifyPushCloseCodes.{pair.Key} in the client."));

        // The client knows one code more, 1006, which no server sends: the connection dropped without a close frame.
        Assert.Equal(["Abnormal"], client.Keys.Except(server.Keys));
    }

    private static Dictionary<string, int> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
}
