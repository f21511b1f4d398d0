using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Removes expired notifications and delivered ones older than the history window, then idempotency keys older than
/// their window, in batches.
/// </summary>
public sealed partial class RetentionService(
    INotificationStore store,
    IOptions<RetentionOptions> options,
    TimeProvider timeProvider,
    ILogger<RetentionService> logger) : BackgroundService
{
    private readonly LogOnce _passes = new();

    /// <summary>
    /// Runs one full pass (batch after batch until nothing is due) and returns the notifications removed and the
    /// idempotency keys forgotten.
    /// </summary>
    /// <remarks>
    /// Keys have their own window, independent of the notifications': a retry after its notifications were delivered,
    /// expired or removed still finds its key and gets the original result.
    /// </remarks>
    public async Task<(int Notifications, int IdempotencyKeys)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var retention = TimeSpan.FromHours(settings.DeliveredHistoryHours);
        var keyWindow = TimeSpan.FromHours(settings.IdempotencyWindowHours);
        var notifications = await DrainAsync(
            (batchSize, ct) => store.CleanupAsync(timeProvider.GetUtcNow(), retention, batchSize, ct), settings.CleanupBatchSize, cancellationToken).ConfigureAwait(false);
        var keys = await DrainAsync(
            (batchSize, ct) => store.CleanupIdempotencyKeysAsync(timeProvider.GetUtcNow(), keyWindow, batchSize, ct), settings.CleanupBatchSize, cancellationToken).ConfigureAwait(false);
        return (notifications, keys);
    }

    private static async Task<int> DrainAsync(Func<int, CancellationToken, Task<CleanupResult>> cleanup, int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        CleanupResult result;
        do
        {
            result = await cleanup(batchSize, cancellationToken).ConfigureAwait(false);
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
                    var (notifications, keys) = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    _passes.Succeed();
                    if (notifications > 0 || keys > 0)
                    {
                        Log.Pass(logger, notifications, keys);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Retention can wait for the next interval; log once per outage, not every pass.
                    if (_passes.Fail())
                    {
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
        [LoggerMessage(NotifyPushEventIds.RetentionPass, LogLevel.Information, "Retention removed {DeletedCount} notifications and forgot {IdempotencyKeyCount} idempotency keys.")]
        public static partial void Pass(ILogger logger, int deletedCount, int idempotencyKeyCount);

        [LoggerMessage(NotifyPushEventIds.RetentionFailed, LogLevel.Warning, "Retention cleanup failed; retrying at the next interval.")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
