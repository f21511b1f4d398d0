using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Protocol;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Delivery;

/// <summary>
/// Receives backplane messages and hands them to the addressed user's local sockets. Never waits for a socket:
/// each gets the shared frame (a head of its own and the send's shared tail) on its bounded queue. A sign-out also drops
/// the user's cached token revocation state (it may carry a revocation), before the sockets are told to close.
/// </summary>
public sealed partial class NotificationDispatcher(ILocalRecipients recipients, NotifyPushMetrics metrics, ILogger<NotificationDispatcher> logger, TokenRevocations? revocations = null) : IBackplaneListener
{
    public void OnMessage(in BackplaneMessage message)
    {
        if (message.Kind == BackplaneMessageKind.Disconnect)
        {
            revocations?.Forget(message.UserId);
        }

        // A message for a user with no socket here costs one dictionary miss.
        var connections = recipients.GetRecipients(message.UserId);
        if (connections.IsEmpty)
        {
            return;
        }

        metrics.MessageReceived();
        switch (message.Kind)
        {
            case BackplaneMessageKind.Notification:
                using (NotifyPushTracing.StartDispatch(message, connections.Length))
                {
                    // Read once for all of the user's sockets, and only when the latency is measured.
                    var end = message.FrameTail.IsEmpty ? message.Frame : message.FrameTail;
                    var createdAt = metrics.DeliveryDurationEnabled && ServerFrames.TryReadCreatedAt(end.Span, out var ticks) ? ticks : 0;
                    foreach (var connection in connections)
                    {
                        connection.TryEnqueueNotification(message.Seq, message.Frame, message.FrameTail, createdAt);
                    }
                }

                break;
            case BackplaneMessageKind.Disconnect:
                foreach (var connection in connections)
                {
                    connection.RequestClose(CloseCodes.SignedOut, "signed out");
                }

                Log.UserDisconnected(logger, message.UserId, connections.Length);
                break;
        }
    }

    public void OnRestored()
    {
        // Messages published while the backplane was away may be lost: every local socket reads the store.
        var count = 0;
        foreach (var connection in recipients.GetAllRecipients())
        {
            connection.TryEnqueueCatchUp();
            count++;
        }

        Log.Restored(logger, count);
    }

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.BackplaneRestored, LogLevel.Information, "Backplane restored; catching {ConnectionCount} local sockets up from the store.")]
        public static partial void Restored(ILogger logger, int connectionCount);

        [LoggerMessage(NotifyPushEventIds.UsersDisconnected, LogLevel.Information, "Closed {ConnectionCount} local sockets of user {UserId} with 4003 (signed out).")]
        public static partial void UserDisconnected(ILogger logger, string userId, int connectionCount);
    }
}
