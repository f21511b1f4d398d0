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
        builder.Services.AddPostgresStore();
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
        services.AddPostgresStore();
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<INotificationStore>();

        Assert.Same(provider.GetRequiredService<PostgresNotificationStore>(), store);
    }
}
