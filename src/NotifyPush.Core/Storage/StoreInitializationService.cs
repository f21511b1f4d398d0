using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Storage;

/// <summary>Start-up: applies the store schema and connects the backplane to this replica's dispatcher before traffic arrives.</summary>
public sealed class StoreInitializationService(
    INotificationStore store,
    INotificationBackplane backplane,
    NotificationDispatcher dispatcher,
    IOptions<StoreOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        backplane.SetListener(dispatcher);
        if (options.Value.ApplyMigrationsAtStartup)
        {
            await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
