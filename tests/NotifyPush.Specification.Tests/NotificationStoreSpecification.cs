using Xunit;
using NotifyPush.Core.Storage;

namespace NotifyPush.Specification.Tests;

/// <summary>
/// Behaviour every <see cref="INotificationStore"/> must show. A store's test project derives from this class
/// and supplies <see cref="CreateStoreAsync"/>; every test below then runs against that store.
/// </summary>
/// <remarks>
/// Each test owns its data: it uses fresh user ids and callers (see <see cref="NewUserId"/>), so one store
/// instance or database may be shared by the tests of a class.
/// </remarks>
public abstract partial class NotificationStoreSpecification : IAsyncLifetime
{
    private INotificationStore? _store;

    /// <summary>The store under test, initialised (schema applied).</summary>
    protected INotificationStore Store => _store ?? throw new InvalidOperationException("The store is not created yet.");

    /// <summary>Creates a store whose schema is applied. Called once per test.</summary>
    protected abstract Task<INotificationStore> CreateStoreAsync();

    /// <summary>Releases a store created by <see cref="CreateStoreAsync"/>.</summary>
    protected virtual ValueTask DisposeStoreAsync(INotificationStore store) =>
        store is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await DisposeStoreAsync(_store);
        }
    }

    /// <summary>A user id no other test uses.</summary>
    protected static string NewUserId(string prefix = "u") => $"{prefix}-{Guid.NewGuid():N}";
}
