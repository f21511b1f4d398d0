using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite.Tests;

public sealed class SqliteServiceCollectionExtensionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AddSqliteStore_RegistersOneStoreBuiltFromStoreOptions()
    {
        using var database = new SqliteTestDatabase();
        var services = new ServiceCollection().AddLogging();
        services.Configure<StoreOptions>(options => options.ConnectionString = database.ConnectionString);
        services.AddSqliteStore();

        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<INotificationStore>();

            Assert.Same(store, provider.GetRequiredService<INotificationStore>());
            Assert.Equal(database.FilePath, Assert.IsType<SqliteNotificationStore>(store).DataSource);
            await store.InitializeAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.True(File.Exists(database.FilePath));
        }
    }

    [Fact]
    public async Task AddSqliteStore_WithoutConnectionString_UsesTheDataFolder()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSqliteStore();

        // The store opens nothing until it is initialised, so resolving it creates no file here.
        await using var provider = services.BuildServiceProvider();
        var store = Assert.IsType<SqliteNotificationStore>(provider.GetRequiredService<INotificationStore>());

        Assert.Equal(Path.GetFullPath(Path.Combine("data", "notifypush.db")), store.DataSource);
    }
}
