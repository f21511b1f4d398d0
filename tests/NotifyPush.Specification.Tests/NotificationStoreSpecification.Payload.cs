using System.Text;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("-1.50e-10")]
    [InlineData("12345678901234567890123456789")]
    [InlineData("\"just a string\"")]
    [InlineData("""{"z":1,"a":2,"z2":{"y":[1,2,{"deep":[[[]]]}],"b":null,"t":true}}""")]
    [InlineData("{\"text\":\"héllo wörld – 日本語 – עברית – 👋🏽 – e\u0301 – \u00a0\"}")]
    [InlineData("""{"escaped":"line\nbreak \"quoted\" back\\slash \u2028 \ud83d\ude00 \/"}""")]
    [InlineData("""{"nul":"a\u0000b"}""")]
    public async Task Append_Payload_RoundTripsExactly(string payloadJson)
    {
        var userId = NewUser();

        var appended = await AppendOneAsync(userId, payloadJson: payloadJson);

        Assert.Equal(payloadJson, appended.PayloadJson);
        Assert.Equal(payloadJson, Assert.Single(await ReadAllAsync(userId)).PayloadJson);
    }

    [Fact]
    public async Task Append_LargePayload_RoundTripsExactly()
    {
        var items = Enumerable.Range(0, 500).Select(i => $$"""{"i":{{i}},"text":"Ünïcødé ✓ 日本 {{i}} {{new string('x', 64)}}"}""");
        var payloadJson = $$"""{"items":[{{string.Join(",", items)}}]}""";
        Assert.InRange(Encoding.UTF8.GetByteCount(payloadJson), 55_000, 70_000);
        var userIds = new[] { NewUser(), NewUser() };

        var result = await AppendAsync(NewRequest(userIds, payloadJson: payloadJson));

        Assert.All(result.Notifications, n => Assert.Equal(payloadJson, n.PayloadJson));
        foreach (var userId in userIds)
        {
            Assert.Equal(payloadJson, Assert.Single(await ReadAllAsync(userId)).PayloadJson);
        }
    }
}
