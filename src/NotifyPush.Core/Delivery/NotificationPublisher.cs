using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>The send path: commit to the store (the mailbox), then ring the backplane (the doorbell).</summary>
public sealed partial class NotificationPublisher(
    INotificationStore store,
    INotificationBackplane backplane,
    ILogger<NotificationPublisher> logger)
{
    private int _publishFailing;

    /// <summary>
    /// Stores the notifications and publishes them. When this returns they are committed; a backplane failure
    /// does not fail the call, because sockets recover from the store (gap fill, catch-up, replay).
    /// </summary>
    public async Task<AppendResult> SendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        var result = await store.AppendAsync(request, cancellationToken).ConfigureAwait(false);

        // An idempotent replay is published again: harmless (sockets drop seqs they have) and it rings the
        // doorbell if the first attempt committed but died before publishing.
        var messages = new BackplaneMessage[result.Notifications.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            var notification = result.Notifications[i];
            messages[i] = new BackplaneMessage(BackplaneMessageKind.Notification, notification.UserId, notification.Seq, ServerFrames.Notification(notification));
        }

        await PublishAsync(messages).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Closes every socket of the user on every replica with 4003 (credential revoked / signed out). Returns false
    /// when the backplane is down: a sign-out is not stored, so the caller has to retry.
    /// </summary>
    public async Task<bool> DisconnectUserAsync(string userId)
    {
        await PublishAsync([new BackplaneMessage(BackplaneMessageKind.Disconnect, userId, 0, ReadOnlyMemory<byte>.Empty)]).ConfigureAwait(false);
        return backplane.GetHealth().IsConnected;
    }

    private async Task PublishAsync(BackplaneMessage[] messages)
    {
        try
        {
            // Not the request's token: once committed, the doorbell should ring even if the caller hung up.
            await backplane.PublishAsync(messages, CancellationToken.None).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _publishFailing, 0) == 1)
            {
                Log.PublishRecovered(logger);
            }
        }
        catch (Exception ex)
        {
            if (Interlocked.Exchange(ref _publishFailing, 1) == 0)
            {
                Log.PublishFailed(logger, ex, messages.Length);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.PublishFailed, LogLevel.Warning, "Publishing {MessageCount} messages to the backplane failed; they are stored and reach sockets through the store.")]
        public static partial void PublishFailed(ILogger logger, Exception exception, int messageCount);

        [LoggerMessage(NotifyPushEventIds.PublishRecovered, LogLevel.Information, "Publishing to the backplane works again.")]
        public static partial void PublishRecovered(ILogger logger);
    }
}
