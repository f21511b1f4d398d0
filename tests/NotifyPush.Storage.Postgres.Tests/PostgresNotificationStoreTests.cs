using NotifyPush.Core.Storage;
using NotifyPush.Specification.Tests;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>The store specification suite against Postgres; every test gets a schema of its own.</summary>
public sealed class PostgresNotificationStoreTests : NotificationStoreSpecification
{
    private PostgresTestSchema? _schema;

    protected override async Task<INotificationStore> CreateStoreAsync()
    {
        _schema = PostgresTestSchema.New();
        return await _schema.CreateInitializedStoreAsync();
    }

    protected override async ValueTask DisposeStoreAsync(INotificationStore store)
    {
        await base.DisposeStoreAsync(store);
        if (_schema is not null)
        {
            await _schema.DisposeAsync();
        }
    }
}
