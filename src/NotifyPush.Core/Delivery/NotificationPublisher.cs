using System.Diagnostics;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>The send path: commit to the store (the mailbox), then ring the backplane (the doorbell) off the request path.</summary>
public sealed class NotificationPublisher(
    INotificationStore store,
    INotificationBackplane backplane,
    DoorbellQueue doorbells,
    TimeProvider timeProvider)
{
    /// <summary>
    /// Stores the notifications and queues their doorbells. When this returns they are committed; the doorbells ring
    /// in the background (<see cref="DoorbellQueue"/>), so neither a slow nor a failing backplane holds the caller:
    /// sockets recover from the store (gap fill, catch-up, replay).
    /// </summary>
    public async Task<AppendResult> SendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        var result = await store.AppendAsync(request, cancellationToken).ConfigureAwait(false);

        // An idempotent replay rings again: harmless (sockets drop seqs they have), and it rings the doorbell if the
        // first attempt committed but died before ringing. Not for what has expired since: that is never delivered.
        var now = result.IsReplay ? timeProvider.GetUtcNow() : DateTimeOffset.MinValue;

        // Only a recorded send's context travels: the receivers' dispatch spans link to it.
        var trace = Activity.Current is { Recorded: true } activity ? activity.Context : default;
        var messages = new List<BackplaneMessage>(result.Notifications.Count);

        // The payload is held once per send: every recipient's frame is a small head of its own (seq, id) followed by
        // one tail (payload, createdAt) that all of them share. Prebuilt whole, a 64 KiB payload to 10,000 users would
        // be 655 MB of frames. The notifications of one send share the payload string and createdAt.
        string? tailPayload = null;
        var tailCreatedAt = DateTimeOffset.MinValue;
        ReadOnlyMemory<byte> tail = default;
        foreach (var notification in result.Notifications)
        {
            if (notification.ExpiresAt <= now)
            {
                continue;
            }

            if (!ReferenceEquals(notification.PayloadJson, tailPayload) || notification.CreatedAt != tailCreatedAt)
            {
                tailPayload = notification.PayloadJson;
                tailCreatedAt = notification.CreatedAt;
                tail = ServerFrames.NotificationTail(tailPayload, tailCreatedAt);
            }

            messages.Add(new BackplaneMessage(BackplaneMessageKind.Notification, notification.UserId, notification.Seq, ServerFrames.NotificationHead(notification))
            {
                TraceContext = trace,
                FrameTail = tail,
            });
        }

        doorbells.Enqueue(messages);
        return result;
    }

    /// <summary>
    /// Closes every socket of the user on every replica with 4003 (signed out). Returns true only once the sign-out was
    /// published (in process: applied); false when the backplane is down or stalled, so the caller has to retry: a
    /// sign-out is not stored. Awaited, unlike a doorbell, for that answer; bounded by the backplane's command timeout.
    /// </summary>
    public Task<bool> DisconnectUserAsync(string userId, CancellationToken cancellationToken) =>
        backplane.TryPublishNowAsync(new BackplaneMessage(BackplaneMessageKind.Disconnect, userId, 0, ReadOnlyMemory<byte>.Empty), cancellationToken);
}
