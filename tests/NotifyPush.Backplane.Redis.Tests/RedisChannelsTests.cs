using System.Text;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis.Tests;

public sealed class RedisChannelsTests
{
    [Theory]
    [InlineData("u1", "notifypush:user:u1")]
    [InlineData("*", "notifypush:user:*")]
    [InlineData("a:b", "notifypush:user:a:b")]
    [InlineData("[x]", "notifypush:user:[x]")]
    [InlineData("Zoë 🚀", "notifypush:user:Zoë 🚀")]
    public void User_BuildsTheLiteralPrefixedChannel(string userId, string expected)
    {
        var channel = new RedisChannels("notifypush").User(userId);

        Assert.Equal(expected, Encoding.UTF8.GetString((byte[])channel!));
        // RedisChannel equality includes the pattern mode.
        Assert.Equal(RedisChannel.Literal(expected), channel);
        Assert.NotEqual(RedisChannel.Pattern(expected), channel);
    }

    [Fact]
    public void User_OnARedisCluster_IsAShardChannelOfTheSameNameAndNeverAPattern()
    {
        var channel = new RedisChannels("notifypush", sharded: true).User("*");

        Assert.True(channel.IsSharded);
        Assert.False(channel.IsPattern);
        Assert.Equal("notifypush:user:*", Encoding.UTF8.GetString((byte[])channel!));
        Assert.False(new RedisChannels("notifypush").User("*").IsSharded);
    }

    [Fact]
    public void User_WhenUserIdsDiffer_ChannelsDiffer()
    {
        var channels = new RedisChannels("np");
        string[] userIds = ["a", "a:b", "a:", ":b", "*", "a*", "[a]", "user:a", "A", "a ", "a\u0000"];

        var names = userIds.Select(userId => Encoding.UTF8.GetString((byte[])channels.User(userId)!)).ToArray();

        Assert.Equal(names.Length, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void User_ComparesChannelNamesByteForByte()
    {
        var channels = new RedisChannels("np");

        Assert.Equal(RedisChannel.Literal("np:user:a"), channels.User("a"));
        Assert.NotEqual(channels.User("a"), channels.User("A"));
    }

    [Fact]
    public void User_WhenUserIdHasALoneSurrogate_Throws()
    {
        // Folding it into U+FFFD would give "\uD800" and "\uD801" one channel.
        Assert.Throws<ArgumentException>(() => new RedisChannels("np").User("\uD800"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a:b")]
    public void Constructor_WhenPrefixIsEmptyOrHasAColon_Throws(string prefix)
    {
        Assert.ThrowsAny<ArgumentException>(() => new RedisChannels(prefix));
    }
}
