using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Presence;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// The Web Push worker, one per replica: claims due push jobs from the store (the queue) under a lease, and for each
/// decides by the delivery rule: acknowledged or expired, nothing; the user offline, push now; online, wait
/// <see cref="WebPushOptions.DelaySeconds"/>, then push unless acknowledged meanwhile. A push service's 404/410 removes
/// the subscription; 429/5xx or no answer retries after its Retry-After (or a backoff), at most
/// <see cref="WebPushOptions.MaxAttempts"/> times.
/// </summary>
/// <remarks>
/// At least once: a job is deleted only after its pushes, so a replica that dies between a push service's 201 and the
/// delete leaves the job to be claimed again once its lease runs out, and that push is sent once more (the browser's
/// notification carries the notification id as its tag, so the repeat replaces the first rather than adding a second).
/// A retry sends again to each of the user's subscriptions, also those that took the first attempt.
/// </remarks>
public sealed partial class WebPushDeliveryService(
    IWebPushStore store,
    INotificationStore notifications,
    IPresenceDirectory presence,
    ConnectionRegistry registry,
    WebPushSender sender,
    WebPushSignal signal,
    NotifyPushMetrics metrics,
    IOptions<WebPushOptions> options,
    TimeProvider timeProvider,
    ILogger<WebPushDeliveryService> logger) : BackgroundService
{
    // Pushes of one pass in flight at once: push services answer in tens of milliseconds, so a few suffice.
    private const int Concurrency = 8;

    private readonly LogOnce _passes = new();
    private readonly LogOnce _presence = new();

    /// <summary>Runs one pass: claims due jobs and handles each. Returns how many were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = timeProvider.GetUtcNow();
        var jobs = await store.ClaimPushJobsAsync(now, TimeSpan.FromSeconds(settings.LeaseSeconds), settings.BatchSize, cancellationToken).ConfigureAwait(false);
        if (jobs.Count == 0)
        {
            return 0;
        }

        var online = await OnlineUsersAsync(jobs, cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(
            jobs,
            new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
            async (job, ct) => await HandleAsync(job, online, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return jobs.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        var interval = TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var claimed = 0;
                try
                {
                    claimed = await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                    if (_passes.Succeed())
                    {
                        Log.PassesRecovered(logger);
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The jobs stay in the store; their leases run out and the next pass (here or elsewhere) takes them.
                    if (_passes.Fail())
                    {
                        Log.PassFailed(logger, exception);
                    }
                }

                // A full batch means more may be due: go on at once.
                if (claimed < settings.BatchSize)
                {
                    await signal.WaitAsync(interval, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The users of jobs still to be judged by presence who have an open connection anywhere.</summary>
    private async Task<HashSet<string>> OnlineUsersAsync(IReadOnlyList<PushJob> jobs, CancellationToken cancellationToken)
    {
        var users = jobs.Where(static job => !job.PresenceChecked).Select(static job => job.UserId).Distinct(StringComparer.Ordinal).ToList();
        // This replica's own sockets count at once: the cluster's directory learns of a new socket within a presence
        // flush interval, and a user who just connected here is online now.
        var online = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            if (registry.GetConnections(user).Length > 0)
            {
                online.Add(user);
            }
        }

        if (online.Count == users.Count)
        {
            return online;
        }

        try
        {
            foreach (var user in await presence.GetAsync(users, cancellationToken).ConfigureAwait(false))
            {
                if (user.Online)
                {
                    online.Add(user.UserId);
                }
            }

            _presence.Succeed();
        }
        catch (PresenceUnavailableException exception)
        {
            // Not knowing, treat everyone as online: they get the push after the delay unless they acknowledge, which
            // is late for an offline user but never a push to someone who already read it.
            if (_presence.Fail())
            {
                Log.PresenceUnavailable(logger, exception);
            }

            online.UnionWith(users);
        }

        return online;
    }

    private async Task HandleAsync(PushJob job, HashSet<string> online, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = timeProvider.GetUtcNow();
        if (job.ExpiresAt <= now || await IsAcknowledgedAsync(job, cancellationToken).ConfigureAwait(false))
        {
            await store.CompletePushJobAsync(job.Id, job.LeaseId, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!job.PresenceChecked && online.Contains(job.UserId))
        {
            var waitUntil = job.CreatedAt.AddSeconds(settings.DelaySeconds);
            if (waitUntil > now)
            {
                Log.WaitingForAck(logger, job.UserId, job.Seq, settings.DelaySeconds);
                await store.ReschedulePushJobAsync(job.Id, job.LeaseId, waitUntil, presenceChecked: true, job.Attempts, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        var subscriptions = await store.GetPushSubscriptionsAsync(job.UserId, cancellationToken).ConfigureAwait(false);
        var message = WebPushMessage.Build(job.Type, job.Seq, job.NotificationId, job.Content);

        // The user's browsers at once: a job then takes one request timeout at most, well inside its lease
        // (LeaseSeconds is at least twice RequestTimeoutSeconds), whatever the number of subscriptions.
        var results = await Task.WhenAll(subscriptions.Select(subscription => sender.SendAsync(subscription, message, job.ExpiresAt, now, cancellationToken))).ConfigureAwait(false);
        TimeSpan? retryAfter = null;
        var retry = false;
        for (var i = 0; i < results.Length; i++)
        {
            var (subscription, result) = (subscriptions[i], results[i]);
            var host = HostOf(subscription.Endpoint);
            switch (result.Outcome)
            {
                case PushOutcome.Sent:
                    metrics.WebPush(NotifyPushMetrics.WebPushOutcomes.Sent);
                    Log.Sent(logger, job.UserId, job.Seq, host);
                    break;
                case PushOutcome.Gone:
                    metrics.WebPush(NotifyPushMetrics.WebPushOutcomes.Gone);
                    Log.SubscriptionGone(logger, job.UserId, host, result.StatusCode);
                    await store.DeletePushSubscriptionAsync(job.UserId, subscription.Endpoint, cancellationToken).ConfigureAwait(false);
                    break;
                case PushOutcome.Retry:
                    metrics.WebPush(NotifyPushMetrics.WebPushOutcomes.Retry);
                    retry = true;
                    if (result.RetryAfter is { } wait && (retryAfter is null || wait > retryAfter))
                    {
                        retryAfter = wait;
                    }

                    break;
                default:
                    metrics.WebPush(NotifyPushMetrics.WebPushOutcomes.Rejected);
                    Log.Rejected(logger, job.UserId, job.Seq, host, result.StatusCode);
                    break;
            }
        }

        var attempts = job.Attempts + 1;
        if (retry && attempts < settings.MaxAttempts)
        {
            // Retry-After when the push service gave one, else 2, 4, 8… seconds; never past MaxRetryDelaySeconds.
            var delay = retryAfter ?? TimeSpan.FromSeconds(Math.Pow(2, attempts));
            delay = TimeSpan.FromSeconds(Math.Clamp(delay.TotalSeconds, 1, settings.MaxRetryDelaySeconds));
            Log.RetryScheduled(logger, job.UserId, job.Seq, attempts, (long)delay.TotalMilliseconds);
            await store.ReschedulePushJobAsync(job.Id, job.LeaseId, now + delay, presenceChecked: true, attempts, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (retry)
        {
            Log.GaveUp(logger, job.UserId, job.Seq, attempts);
        }

        await store.CompletePushJobAsync(job.Id, job.LeaseId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> IsAcknowledgedAsync(PushJob job, CancellationToken cancellationToken) =>
        (await notifications.GetStreamStateAsync(job.UserId, cancellationToken).ConfigureAwait(false)).AckedSeq >= job.Seq;

    /// <summary>The push service's host: the endpoint's path is a capability and is never logged.</summary>
    private static string HostOf(string endpoint) => Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri.Host : "?";
}
