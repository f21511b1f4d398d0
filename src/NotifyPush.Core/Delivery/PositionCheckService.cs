using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// The position check (Centrifuge checks its streams' positions the same way): every
/// <see cref="DeliveryOptions.PositionCheckSeconds"/>, the head of every local user's stream is read from the store,
/// many users per query, and each socket whose last sent seq is behind it is caught up from the store through its own
/// send loop. A doorbell lost for any reason (its sender stopped between commit and publish, a doorbell queue that
/// overflowed, a shutdown past its last ring) then costs latency, never the notification.
/// </summary>
/// <remarks>
/// One query per <see cref="DeliveryOptions.PositionCheckBatchSize"/> users, never one per socket: 10,000 users are
/// 10 primary-key lookups of 1,000 ids each. The socket does the reading itself (<see cref="INotificationRecipient.TryEnqueueCatchUp"/>),
/// so its frames keep one writer and their order. A socket found behind gets a short grace for a doorbell in flight
/// before it is caught up. A failed pass is logged once per outage and the next one tries again.
/// </remarks>
public sealed partial class PositionCheckService(
    ILocalRecipients recipients,
    INotificationStore store,
    IOptions<DeliveryOptions> options,
    NotifyPushMetrics metrics,
    TimeProvider timeProvider,
    ILogger<PositionCheckService> logger) : BackgroundService
{
    private readonly TimeSpan _interval = TimeSpan.FromSeconds(options.Value.PositionCheckSeconds);
    private readonly int _batchSize = options.Value.PositionCheckBatchSize;

    // A tenth of the interval, at most a second: far longer than a doorbell takes, short beside the bound.
    private readonly TimeSpan _grace = TimeSpan.FromSeconds(Math.Min(1, options.Value.PositionCheckSeconds / 10.0));
    private readonly LogOnce _passes = new();

    /// <summary>Checks every local socket once: reads the stream heads of their users in batches and catches up those behind.</summary>
    public async Task<PositionCheckPass> RunOnceAsync(CancellationToken cancellationToken)
    {
        var users = 0;
        var queries = 0;
        var behind = new List<(INotificationRecipient Connection, long Head)>();
        var batch = new List<string>(_batchSize);
        foreach (var (userId, _) in recipients.GetUserSocketCounts())
        {
            if (!IsValidUtf16(userId))
            {
                // No store can take it as a parameter, and it would fail the whole batch; no backplane carries its
                // doorbells either, so there is nothing to check.
                continue;
            }

            batch.Add(userId);
            if (batch.Count == _batchSize)
            {
                await CheckBatchAsync(batch, behind, cancellationToken).ConfigureAwait(false);
                (users, queries) = (users + batch.Count, queries + 1);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await CheckBatchAsync(batch, behind, cancellationToken).ConfigureAwait(false);
            (users, queries) = (users + batch.Count, queries + 1);
        }

        if (behind.Count == 0)
        {
            return new PositionCheckPass(users, queries, 0);
        }

        // A socket behind at the read may only have its doorbell in flight (a send committed a moment before): it
        // gets a grace, a fraction of the interval, and only a socket still behind then reads the store. So a
        // catch-up means a doorbell was lost or very late, and a busy replica reads nothing for ones in flight.
        await Task.Delay(_grace, timeProvider, cancellationToken).ConfigureAwait(false);
        var catchUps = 0;
        foreach (var (connection, head) in behind)
        {
            if (connection.CloseCode == 0 && connection.LastSentSeq < head && connection.TryEnqueueCatchUp())
            {
                catchUps++;
            }
        }

        return new PositionCheckPass(users, queries, catchUps);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first pass at a random point of the first interval, then one every interval less up to a fifth at
        // random: the replicas of a deployment (started together by a deploy) drift apart instead of reading the
        // store at the same moment, and no two passes start more than an interval apart.
        var delay = _interval * Random.Shared.NextDouble();
        try
        {
            while (true)
            {
                await Task.Delay(delay, timeProvider, stoppingToken).ConfigureAwait(false);
                var started = timeProvider.GetTimestamp();
                try
                {
                    var pass = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    var elapsed = timeProvider.GetElapsedTime(started);
                    metrics.PositionChecked(elapsed, pass.CatchUps, errorType: null);
                    if (_passes.Succeed())
                    {
                        Log.Recovered(logger);
                    }

                    Log.Pass(logger, pass.Users, pass.Queries, pass.CatchUps, (long)elapsed.TotalMilliseconds);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The store is down or failing: the sockets are caught up by the next pass that succeeds (and
                    // close with 1011 on their own if a read of theirs fails). Logged once per outage.
                    metrics.PositionChecked(timeProvider.GetElapsedTime(started), 0, MeteredNotificationStore.ErrorType(ex) ?? ex.GetType().Name);
                    if (_passes.Fail())
                    {
                        Log.Failed(logger, ex);
                    }
                }

                var next = _interval * (0.8 + (0.2 * Random.Shared.NextDouble())) - timeProvider.GetElapsedTime(started);
                delay = next > TimeSpan.Zero ? next : TimeSpan.Zero;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task CheckBatchAsync(List<string> userIds, List<(INotificationRecipient Connection, long Head)> behind, CancellationToken cancellationToken)
    {
        var heads = await store.GetStreamHeadsAsync(userIds, cancellationToken).ConfigureAwait(false);
        foreach (var (userId, head) in heads)
        {
            foreach (var connection in recipients.GetRecipients(userId))
            {
                // A socket still replaying may be behind for now; a catch-up then waits in its queue and reads
                // nothing new after the replay.
                if (connection.CloseCode == 0 && connection.LastSentSeq < head)
                {
                    behind.Add((connection, head));
                }
            }
        }
    }

    private static bool IsValidUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.PositionCheckPass, LogLevel.Debug, "Position check: {UserCount} users in {QueryCount} store queries, {CatchUpCount} sockets behind caught up, in {ElapsedMs} ms.")]
        public static partial void Pass(ILogger logger, int userCount, int queryCount, int catchUpCount, long elapsedMs);

        [LoggerMessage(NotifyPushEventIds.PositionCheckFailed, LogLevel.Warning, "Position check failed; retrying at the next interval.")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(NotifyPushEventIds.PositionCheckRecovered, LogLevel.Information, "Position check succeeded again.")]
        public static partial void Recovered(ILogger logger);
    }
}
