using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Backplane.Redis.Tests;

public sealed class RedisBackplaneServiceCollectionExtensionsTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    [InlineData("127.0.0.1:6379,notAnOption=1")]
    [InlineData(",")]
    public async Task AddRedisBackplane_WhenConfigurationIsMissingOrInvalid_FailsAtStartNamingTheSetting(string? configuration)
    {
        await using var provider = BuildProvider(configuration);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("NotifyPush:Backplane:Configuration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("colon:inside")]
    [InlineData("")]
    public async Task AddRedisBackplane_WhenChannelPrefixIsInvalid_FailsAtStartNamingTheSetting(string prefix)
    {
        await using var provider = BuildProvider("127.0.0.1:6379", channelPrefix: prefix);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("NotifyPush:Backplane:ChannelPrefix", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("InlineFrameMaxBytes", "-1")]
    [InlineData("OwedDoorbellCapacity", "0")]
    [InlineData("OwedDoorbellBytes", "100")]
    public async Task AddRedisBackplane_WhenABoundIsOutOfRange_FailsAtStartNamingTheSetting(string name, string value)
    {
        await using var provider = BuildProvider("127.0.0.1:6379", extra: new Dictionary<string, string?> { ["NotifyPush:Backplane:" + name] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("NotifyPush:Backplane:" + name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddRedisBackplane_WhenConfigured_ResolvesOneRedisBackplaneInsteadOfTheInProcessOne()
    {
        var services = new ServiceCollection();
        services.AddSingleton<INotificationBackplane, InProcessNotificationBackplane>();
        await using var provider = BuildProvider(TestEnvironment.RequireRedis(), services);

        provider.GetRequiredService<IStartupValidator>().Validate();
        var backplane = provider.GetRequiredService<INotificationBackplane>();

        Assert.IsType<RedisNotificationBackplane>(backplane);
        Assert.Same(backplane, provider.GetRequiredService<INotificationBackplane>());
        Assert.Same(backplane, provider.GetRequiredService<RedisNotificationBackplane>());
    }

    [Fact]
    public async Task AddRedisBackplane_SharesOneConnection_WhichTheBackplaneBorrowsAndTheContainerClosesLast()
    {
        var timeout = TimeSpan.FromSeconds(30);
        var provider = BuildProvider(TestEnvironment.RequireRedis());
        try
        {
            var connection = provider.GetRequiredService<RedisConnection>();
            var backplane = provider.GetRequiredService<RedisNotificationBackplane>();
            var limiter = provider.GetRequiredService<RedisSendRateLimiter>();
            await RedisBackplanes.WaitForHealthAsync(backplane, expectConnected: true, timeout);
            var multiplexer = connection.Multiplexer!;

            // Disposing the backplane leaves the multiplexer to the others that use it.
            await backplane.DisposeAsync();
            Assert.True(multiplexer.IsConnected);
            Assert.NotNull(await limiter.TryAcquireAsync($"caller-{Guid.NewGuid():N}", 10, 10, timeout, CancellationToken.None));

            await provider.DisposeAsync();
            Assert.False(multiplexer.IsConnected);
        }
        finally
        {
            await provider.DisposeAsync();
        }
    }

    private static ServiceProvider BuildProvider(string? configuration, ServiceCollection? services = null, string? channelPrefix = null, Dictionary<string, string?>? extra = null)
    {
        services ??= new ServiceCollection();
        var settings = new Dictionary<string, string?>(extra ?? []) { ["NotifyPush:Backplane:Provider"] = "Redis" };
        if (channelPrefix is not null)
        {
            settings["NotifyPush:Backplane:ChannelPrefix"] = channelPrefix;
        }

        if (configuration is not null)
        {
            settings["NotifyPush:Backplane:Configuration"] = configuration;
        }

        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddRedisBackplane();
        return services.BuildServiceProvider();
    }
}
