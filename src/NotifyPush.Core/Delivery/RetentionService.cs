using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>Removes expired notifications and delivered ones older than the history window, in batches.</summary>
public sealed partial class RetentionService(
    INotificationStore store,
    IOptions<RetentionOptions> options,
    TimeProvider timeProvider,
    ILogger<RetentionService> logger) : BackgroundService
{
    private bool _failing;

    /// <summary>Runs one full pass (batch after batch until nothing is due) and returns the rows removed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var retention = TimeSpan.FromHours(settings.DeliveredHistoryHours);
        var total = 0;
        CleanupResult result;
        do
        {
            result = await store.CleanupAsync(timeProvider.GetUtcNow(), retention, settings.CleanupBatchSize, cancellationToken).ConfigureAwait(false);
            total += result.Deleted;
        }
        while (result.HasMore && !cancellationToken.IsCancellationRequested);

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CleanupIntervalSeconds), timeProvider);
        try
        {
            do
            {
                try
                {
                    var deleted = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    _failing = false;
                    if (deleted > 0)
                    {
                        Log.Pass(logger, deleted);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Retention can wait for the next interval; log once per outage, not every pass.
                    if (!_failing)
                    {
                        _failing = true;
                        Log.Failed(logger, ex);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.RetentionPass, LogLevel.Information, "Retention removed {DeletedCount} notifications.")]
        public static partial void Pass(ILogger logger, int deletedCount);

        [LoggerMessage(NotifyPushEventIds.RetentionFailed, LogLevel.Warning, "Retention cleanup failed; retrying at the next interval.")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
