using Microsoft.Extensions.Logging.Abstractions;
using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Storage.Sqlite.Tests;

/// <summary>The store specification against <see cref="SqliteNotificationStore"/>, each test on its own database file.</summary>
public sealed class SqliteNotificationStoreTests : NotificationStoreSpecification
{
    private readonly SqliteTestDatabase _database = new();

    protected override async Task<INotificationStore> CreateStoreAsync()
    {
        var store = new SqliteNotificationStore(_database.ConnectionString, NullLogger<SqliteNotificationStore>.Instance);
        await store.InitializeAsync(TestCancellation);
        return store;
    }

    protected override async ValueTask DisposeStoreAsync(INotificationStore store)
    {
        await base.DisposeStoreAsync(store);
        _database.Dispose();
    }
}
