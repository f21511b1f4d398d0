using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Hosting;

/// <summary>
/// Start-up, the one place that wires the engine together: connects the backplane to this replica's dispatcher and
/// applies the store schema before the server listens. A store that is still starting (a compose file or an orchestrator bringing both up together) is
/// retried for <see cref="StoreOptions.StartupTimeoutSeconds"/>; then start-up fails, naming the cause.
/// </summary>
public sealed partial class NotifyPushStartupService(
    INotificationStore store,
    INotificationBackplane backplane,
    NotificationDispatcher dispatcher,
    ConnectionRegistry registry,
    DoorbellQueue doorbells,
    NotifyPushMetrics metrics,
    IOptions<StoreOptions> options,
    TimeProvider timeProvider,
    ILogger<NotifyPushStartupService> logger) : IHostedService
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        backplane.SetListener(dispatcher);
        metrics.ObserveReplica(() => registry.ConnectionCount, () => registry.UserCount, backplane, () => doorbells.Waiting);
        if (!options.Value.ApplyMigrationsAtStartup)
        {
            return;
        }

        var started = timeProvider.GetTimestamp();
        var timeout = TimeSpan.FromSeconds(options.Value.StartupTimeoutSeconds);
        var waiting = false;
        while (true)
        {
            try
            {
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                if (waiting)
                {
                    Log.StoreReady(logger, timeProvider.GetElapsedTime(started).TotalSeconds);
                }

                return;
            }
            catch (StoreUnavailableException ex) when (timeProvider.GetElapsedTime(started) < timeout)
            {
                if (!waiting)
                {
                    waiting = true;
                    Log.WaitingForStore(logger, ex.Message, timeout.TotalSeconds);
                }

                await Task.Delay(RetryInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.WaitingForStore, LogLevel.Warning, "The store is not reachable yet ({Error}); retrying for up to {TimeoutSeconds} s before giving up.")]
        public static partial void WaitingForStore(ILogger logger, string error, double timeoutSeconds);

        [LoggerMessage(NotifyPushEventIds.StoreReady, LogLevel.Information, "The store answered after {ElapsedSeconds:F1} s; schema applied.")]
        public static partial void StoreReady(ILogger logger, double elapsedSeconds);
    }
}
