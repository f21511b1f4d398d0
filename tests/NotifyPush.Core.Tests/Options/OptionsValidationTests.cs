using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Tests.Options;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("NotifyPush:Connections:HeartbeatSeconds", "0")]
    [InlineData("NotifyPush:Connections:SendQueueCapacity", "1")]
    [InlineData("NotifyPush:Delivery:MaxReplayCount", "0")]
    [InlineData("NotifyPush:Delivery:PositionCheckSeconds", "0")]
    [InlineData("NotifyPush:Delivery:PositionCheckBatchSize", "0")]
    [InlineData("NotifyPush:Delivery:DoorbellQueueCapacity", "0")]
    [InlineData("NotifyPush:Delivery:DoorbellQueueBytes", "1024")]
    [InlineData("NotifyPush:Delivery:DoorbellQueueBytes", "17179869185")]
    [InlineData("NotifyPush:Retention:CleanupIntervalSeconds", "0")]
    [InlineData("NotifyPush:Retention:IdempotencyWindowHours", "0")]
    [InlineData("NotifyPush:Retention:IdempotencyWindowHours", "-1")]
    public void InvalidSetting_FailsNamingTheFullKey(string key, string value)
    {
        using var provider = Build(new Dictionary<string, string?> { [key] = value });
        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            _ = provider.GetRequiredService<IOptions<ConnectionOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<DeliveryOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<RetentionOptions>>().Value;
            _ = provider.GetRequiredService<IOptions<BackplaneOptions>>().Value;
        });
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_BindFromConfiguration()
    {
        using var provider = Build(new Dictionary<string, string?>
        {
            ["NotifyPush:Connections:HeartbeatSeconds"] = "7",
            ["NotifyPush:Store:Provider"] = "Postgres",
            ["NotifyPush:Backplane:Provider"] = "Redis",
        });
        Assert.Equal(7, provider.GetRequiredService<IOptions<ConnectionOptions>>().Value.HeartbeatSeconds);
        Assert.Equal(StoreProvider.Postgres, provider.GetRequiredService<IOptions<StoreOptions>>().Value.Provider);
        Assert.Equal(BackplaneProvider.Redis, provider.GetRequiredService<IOptions<BackplaneOptions>>().Value.Provider);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNotifyPushCore(configuration);
        return services.BuildServiceProvider();
    }
}
