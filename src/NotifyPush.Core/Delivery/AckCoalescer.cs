using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Collects cumulative acknowledgements and writes them to the store in one batch per interval, so a busy
/// client acknowledging every frame costs no write per frame. Only the highest seq per user is kept.
/// </summary>
public sealed partial class AckCoalescer(
    INotificationStore store,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider,
    NotifyPushMetrics metrics,
    ILogger<AckCoalescer> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, long> _pending = new(StringComparer.Ordinal);
    private readonly LogOnce _flushes = new();

    /// <summary>Pending acknowledgements not yet written.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Records that <paramref name="userId"/> has everything up to <paramref name="seq"/>. Never blocks.</summary>
    public void Record(string userId, long seq) =>
        _pending.AddOrUpdate(userId, static (_, candidate) => candidate, static (_, current, candidate) => Math.Max(current, candidate), seq);

    /// <summary>Writes every pending acknowledgement now.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            return;
        }

        var batch = new List<StreamAck>(_pending.Count);
        foreach (var (userId, seq) in _pending)
        {
            // Remove only the value we read: a higher ack recorded meanwhile stays for the next flush.
            if (_pending.TryRemove(new KeyValuePair<string, long>(userId, seq)))
            {
                batch.Add(new StreamAck(userId, seq));
            }
        }

        try
        {
            await store.AcknowledgeAsync(batch, cancellationToken).ConfigureAwait(false);
            metrics.AcksWritten(batch.Count);
            if (_flushes.Succeed())
            {
                Log.Recovered(logger, batch.Count);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Put them back for the next attempt; acks are monotonic, so merging with newer ones is safe.
            foreach (var ack in batch)
            {
                Record(ack.UserId, ack.Seq);
            }

            if (_flushes.Fail())
            {
                Log.FlushFailed(logger, ex, batch.Count);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.AckFlushIntervalMilliseconds), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);

        // Last write on shutdown so a deploy does not replay what clients already acknowledged.
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.AckFlushFailed, LogLevel.Warning, "Writing {AckCount} acknowledgements failed; retrying every interval until the store recovers.")]
        public static partial void FlushFailed(ILogger logger, Exception exception, int ackCount);

        [LoggerMessage(NotifyPushEventIds.AckFlushRecovered, LogLevel.Information, "Acknowledgements are written again ({AckCount} in the first batch).")]
        public static partial void Recovered(ILogger logger, int ackCount);
    }
}
