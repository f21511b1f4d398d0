using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.WebPush;

public sealed partial class WebPushDeliveryService
{
    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.WebPushSent, LogLevel.Debug, "Pushed seq {Seq} of user {UserId} through {PushServiceHost}.")]
        public static partial void Sent(ILogger logger, string userId, long seq, string pushServiceHost);

        [LoggerMessage(NotifyPushEventIds.WebPushSubscriptionGone, LogLevel.Information, "A push subscription of user {UserId} at {PushServiceHost} is gone (HTTP {StatusCode}); removed it.")]
        public static partial void SubscriptionGone(ILogger logger, string userId, string pushServiceHost, int statusCode);

        [LoggerMessage(NotifyPushEventIds.WebPushRetryScheduled, LogLevel.Information, "Push of seq {Seq} of user {UserId} failed on attempt {Attempt}; retrying in {DelayMs} ms.")]
        public static partial void RetryScheduled(ILogger logger, string userId, long seq, int attempt, long delayMs);

        [LoggerMessage(NotifyPushEventIds.WebPushGaveUp, LogLevel.Warning, "Gave up pushing seq {Seq} of user {UserId} after {Attempts} attempts.")]
        public static partial void GaveUp(ILogger logger, string userId, long seq, int attempts);

        [LoggerMessage(NotifyPushEventIds.WebPushRejected, LogLevel.Warning, "{PushServiceHost} refused the push of seq {Seq} of user {UserId} with HTTP {StatusCode}; not retried.")]
        public static partial void Rejected(ILogger logger, string userId, long seq, string pushServiceHost, int statusCode);

        [LoggerMessage(NotifyPushEventIds.WebPushPassFailed, LogLevel.Warning, "A Web Push pass failed; its pushes are taken up again when their lease runs out.")]
        public static partial void PassFailed(ILogger logger, Exception exception);

        [LoggerMessage(NotifyPushEventIds.WebPushPassesRecovered, LogLevel.Information, "Web Push passes run again.")]
        public static partial void PassesRecovered(ILogger logger);

        [LoggerMessage(NotifyPushEventIds.WebPushWaitingForAck, LogLevel.Debug, "User {UserId} is online: the push of seq {Seq} waits {DelaySeconds} s for an ack.")]
        public static partial void WaitingForAck(ILogger logger, string userId, long seq, int delaySeconds);

        [LoggerMessage(NotifyPushEventIds.WebPushPresenceUnavailable, LogLevel.Warning, "Presence is unavailable: Web Push treats every user as online (pushing after the ack delay) until it is back.")]
        public static partial void PresenceUnavailable(ILogger logger, Exception exception);
    }
}
