using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres.Tests;

public sealed class PostgresStoreRegistrationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("  ")]
    [InlineData("Host=127.0.0.1;NoSuchKeyword=1")]
    public async Task AddPostgresStore_WhenTheConnectionStringIsMissingOrInvalid_StopsTheHostNamingTheSetting(string? connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.Configure<StoreOptions>(o => o.ConnectionString = connectionString);
        builder.Services.AddPostgresStore(builder.Configuration);
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestTimeouts.Token()));

        Assert.Contains("NotifyPush:Store:ConnectionString", exception.Message);
    }

    [Fact]
    public async Task AddPostgresStore_WhenConfigured_ResolvesOneStoreForBothServiceTypes()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.Configure<StoreOptions>(o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Database=postgres");
        services.AddPostgresStore(new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<INotificationStore>();

        Assert.Same(provider.GetRequiredService<PostgresNotificationStore>(), store);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1", 32, true)]
    [InlineData("Host=127.0.0.1;Port=1;Max Auto Prepare=0;No Reset On Close=false", 0, false)]
    [InlineData("Host=127.0.0.1;Port=1;maxautoprepare=5;NoResetOnClose=false", 5, false)]
    public async Task Create_PreparesStatementsAndSkipsTheResetUnlessTheConnectionStringSaysOtherwise(string connectionString, int maxAutoPrepare, bool noResetOnClose)
    {
        await using var store = PostgresNotificationStore.Create(connectionString);

        var settings = store.ConnectionSettings;

        Assert.Equal((maxAutoPrepare, noResetOnClose), (settings.MaxAutoPrepare, settings.NoResetOnClose));
        Assert.Equal("NotifyPush", settings.ApplicationName);
    }

    [Theory]
    [InlineData("Host=db1,db2;Username=notifypush", "primary")]
    [InlineData("Host=db1:5432,db2:5433;Username=notifypush;Target Session Attributes=read-write", "read-write")]
    [InlineData("Host=db1,db2;Username=notifypush;TargetSessionAttributes=Primary", "primary")]
    [InlineData("Host=db1;Username=notifypush", null)]
    [InlineData("Host=db1;Username=notifypush;Target Session Attributes=any", "any")]
    public async Task Create_WithSeveralHosts_UsesThePrimaryUnlessTheConnectionStringNamesAWritableTarget(string connectionString, string? expected)
    {
        // Building the pool opens no connection: the hosts need not exist.
        await using var store = PostgresNotificationStore.Create(connectionString);

        Assert.Equal(expected, store.ConnectionSettings.TargetSessionAttributes);
    }

    [Theory]
    [InlineData("Host=db1,db2;Username=notifypush", 2)]
    [InlineData("Host=db1,db2;Username=notifypush;Host Recheck Seconds=10", 10)]
    [InlineData("Host=db1,db2;Username=notifypush;hostrecheckseconds=5", 5)]
    [InlineData("Host=db1;Username=notifypush", 10)]
    public async Task Create_WithSeveralHosts_RechecksAHostsStateAfterTwoSecondsUnlessTheConnectionStringSaysOtherwise(string connectionString, int expected)
    {
        await using var store = PostgresNotificationStore.Create(connectionString);

        Assert.Equal(expected, store.ConnectionSettings.HostRecheckSeconds);
    }

    [Theory]
    [InlineData("Host=db1,db2;Target Session Attributes=prefer-standby")]
    [InlineData("Host=db1,db2;Target Session Attributes=standby")]
    [InlineData("Host=db1,db2;Target Session Attributes=read-only")]
    [InlineData("Host=db1,db2;Target Session Attributes=any")]
    [InlineData("Host=db1,db2;Target Session Attributes=prefer-primary")]
    [InlineData("Host=db1;Target Session Attributes=standby")]
    public async Task AddPostgresStore_WhenTheTargetSessionCanBeAStandby_StopsTheHostNamingTheSetting(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.Configure<StoreOptions>(o => o.ConnectionString = connectionString);
        builder.Services.AddPostgresStore(builder.Configuration);
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestTimeouts.Token()));

        Assert.Contains("NotifyPush:Store:ConnectionString", exception.Message);
        Assert.Contains("Target Session Attributes", exception.Message);
        var direct = Assert.Throws<ArgumentException>(() => PostgresNotificationStore.Create(connectionString));
        Assert.Contains("Target Session Attributes", direct.Message);
    }

    [Fact]
    public async Task AddPostgresStore_BindsTheGroupCommitSettingsFromTheStoreSection()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.Configure<StoreOptions>(o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Database=postgres");
        services.AddPostgresStore(Configuration(new()
        {
            ["NotifyPush:Store:GroupCommitMaxRows"] = "500",
            ["NotifyPush:Store:GroupCommitMaxRequestRows"] = "20",
            ["NotifyPush:Store:GroupCommitConcurrency"] = "2",
        }));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<PostgresNotificationStore>().Options;

        Assert.Equal((500, 20, 2), (options.GroupCommitMaxRows, options.GroupCommitMaxRequestRows, options.GroupCommitConcurrency));
    }

    [Theory]
    [InlineData("GroupCommitMaxRows", "-1")]
    [InlineData("GroupCommitMaxRequestRows", "0")]
    [InlineData("GroupCommitConcurrency", "0")]
    public async Task AddPostgresStore_WhenAGroupCommitSettingIsOutOfRange_StopsTheHostNamingTheSetting(string setting, string value)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"NotifyPush:Store:{setting}"] = value });
        builder.Services.Configure<StoreOptions>(o => o.ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Database=postgres");
        builder.Services.AddPostgresStore(builder.Configuration);
        using var host = builder.Build();

        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestTimeouts.Token()));

        Assert.Contains($"NotifyPush:Store:{setting}", exception.Message);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
}
