using Microsoft.Extensions.Logging;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Core.Connections;

public sealed partial class NotificationConnection
{
    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.ConnectionClosed, LogLevel.Debug, "Connection {ConnectionId} of user {UserId} closed with code {CloseCode} ({CloseReason}) after seq {LastSentSeq}.")]
        public static partial void Closed(ILogger logger, string connectionId, string userId, int closeCode, string closeReason, long lastSentSeq);

        [LoggerMessage(NotifyPushEventIds.SlowConsumer, LogLevel.Warning, "Connection {ConnectionId} of user {UserId} is a slow consumer: its send queue (at most {QueueCapacity} frames, {QueueBytes} bytes) overflowed; closing with 4008.")]
        public static partial void SlowConsumer(ILogger logger, string connectionId, string userId, int queueCapacity, long queueBytes);

        [LoggerMessage(NotifyPushEventIds.SendTimedOut, LogLevel.Information, "Connection {ConnectionId} of user {UserId}: a write took longer than {SendTimeoutSeconds} s; aborting the socket.")]
        public static partial void SendTimedOut(ILogger logger, string connectionId, string userId, int sendTimeoutSeconds);

        [LoggerMessage(NotifyPushEventIds.HeartbeatTimedOut, LogLevel.Information, "Connection {ConnectionId} of user {UserId} did not answer a ping within {TimeoutSeconds} s; closing.")]
        public static partial void HeartbeatTimedOut(ILogger logger, string connectionId, string userId, int timeoutSeconds);

        [LoggerMessage(NotifyPushEventIds.FrameTooLarge, LogLevel.Information, "Connection {ConnectionId} of user {UserId} sent a frame over {MaxFrameBytes} bytes; closing with 1009.")]
        public static partial void FrameTooLarge(ILogger logger, string connectionId, string userId, int maxFrameBytes);

        [LoggerMessage(NotifyPushEventIds.MalformedFrame, LogLevel.Information, "Connection {ConnectionId} of user {UserId} sent a malformed frame ({Error}); closing with 4400.")]
        public static partial void MalformedFrame(ILogger logger, string connectionId, string userId, string error);

        [LoggerMessage(NotifyPushEventIds.CredentialExpired, LogLevel.Information, "Connection {ConnectionId} of user {UserId}: the credential expired without a refresh; closing with 4001.")]
        public static partial void CredentialExpired(ILogger logger, string connectionId, string userId);

        [LoggerMessage(NotifyPushEventIds.CredentialRefreshed, LogLevel.Debug, "Connection {ConnectionId} of user {UserId} refreshed its credential until {ExpiresAt:o}.")]
        public static partial void CredentialRefreshed(ILogger logger, string connectionId, string userId, DateTimeOffset expiresAt);

        [LoggerMessage(NotifyPushEventIds.RefreshRejected, LogLevel.Information, "Connection {ConnectionId} of user {UserId} sent an invalid credential refresh ({Error}); closing with 4001.")]
        public static partial void RefreshRejected(ILogger logger, string connectionId, string userId, string error);

        [LoggerMessage(NotifyPushEventIds.RefreshForAnotherUser, LogLevel.Warning, "Connection {ConnectionId} of user {UserId} tried to refresh with another user's credential; closing with 1008.")]
        public static partial void RefreshForAnotherUser(ILogger logger, string connectionId, string userId);

        [LoggerMessage(NotifyPushEventIds.AuthFramesRateLimited, LogLevel.Warning, "Connection {ConnectionId} of user {UserId} sent more auth frames than its budget ({Burst} at once, {PerMinute} a minute); closing with 1008.")]
        public static partial void AuthFramesRateLimited(ILogger logger, string connectionId, string userId, int burst, int perMinute);

        [LoggerMessage(NotifyPushEventIds.Synced, LogLevel.Debug, "Connection {ConnectionId} of user {UserId} replayed from seq {ResumeAfter} to {LastSentSeq} (recovered: {Recovered}).")]
        public static partial void Synced(ILogger logger, string connectionId, string userId, long resumeAfter, long lastSentSeq, bool recovered);

        [LoggerMessage(NotifyPushEventIds.GapDetected, LogLevel.Debug, "Connection {ConnectionId} of user {UserId}: live seq {LiveSeq} after {LastSentSeq}; filling the gap from the store.")]
        public static partial void GapDetected(ILogger logger, string connectionId, string userId, long lastSentSeq, long liveSeq);

        [LoggerMessage(NotifyPushEventIds.LiveSeqNotStored, LogLevel.Warning, "Connection {ConnectionId} of user {UserId}: live seq {LiveSeq} is not in the store (the socket stays at seq {LastSentSeq}); the frame was dropped.")]
        public static partial void LiveSeqNotStored(ILogger logger, string connectionId, string userId, long liveSeq, long lastSentSeq);

        [LoggerMessage(NotifyPushEventIds.StoreReadIncomplete, LogLevel.Warning, "Connection {ConnectionId} of user {UserId}: seq {MissingSeq} is neither returned by the store nor reported removed after {Attempts} reads; closing with 1011 so the client resumes.")]
        public static partial void StoreReadIncomplete(ILogger logger, string connectionId, string userId, long missingSeq, int attempts);

        [LoggerMessage(NotifyPushEventIds.DeliveryFailed, LogLevel.Error, "Connection {ConnectionId} of user {UserId}: delivery failed unexpectedly; closing with 1011 so the client resumes.")]
        public static partial void DeliveryFailed(ILogger logger, Exception exception, string connectionId, string userId);

        [LoggerMessage(NotifyPushEventIds.StoreUnavailableDuringDelivery, LogLevel.Warning, "Connection {ConnectionId} of user {UserId}: the store is unavailable ({Error}); closing with 1011 so the client resumes.")]
        public static partial void StoreUnavailableDuringDelivery(ILogger logger, string connectionId, string userId, string error);
    }
}
