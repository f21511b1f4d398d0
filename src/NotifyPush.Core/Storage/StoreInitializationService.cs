using Microsoft.Extensions.Hosting;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Delivery;

namespace NotifyPush.Core.Storage;

/// <summary>Start-up: applies the store schema and connects the backplane to this replica's dispatcher before traffic arrives.</summary>
public sealed class StoreInitializationService(
    INotificationStore store,
    INotificationBackplane backplane,
    NotificationDispatcher dispatcher) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        backplane.SetListener(dispatcher);
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
