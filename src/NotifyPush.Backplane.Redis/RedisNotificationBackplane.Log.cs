using Microsoft.Extensions.Logging;
using NotifyPush.Core.Diagnostics;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

public sealed partial class RedisNotificationBackplane
{
    private static partial class Log
    {
        [LoggerMessage(EventId = NotifyPushEventIds.RedisConnecting, Level = LogLevel.Information,
            Message = "Connecting to the Redis backplane at {EndPoints}.")]
        public static partial void Connecting(ILogger logger, string endPoints);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisConnectFailed, Level = LogLevel.Warning,
            Message = "Could not create the Redis backplane connection; retrying in {RetryMs} ms.")]
        public static partial void ConnectFailed(ILogger logger, long retryMs, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisConnected, Level = LogLevel.Information,
            Message = "Connected to the Redis backplane at {EndPoints}; subscribed {UserCount} users.")]
        public static partial void Connected(ILogger logger, string endPoints, int userCount);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisConnectionLost, Level = LogLevel.Warning,
            Message = "Lost the Redis backplane connection to {EndPoint} ({ConnectionType}, {FailureType}); notifications stay in the store and local users are caught up when it returns.")]
        public static partial void ConnectionLost(ILogger logger, string endPoint, ConnectionType connectionType, ConnectionFailureType failureType, Exception? exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisAuthenticationFailed, Level = LogLevel.Error,
            Message = "Redis at {EndPoint} refused the backplane's credentials: check the user and password in {Setting} (and the ACL user's rights). The replica reports not ready until Redis accepts them. Redis said: {Reason}")]
        public static partial void AuthenticationFailed(ILogger logger, string endPoint, string setting, string reason);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisConnectionReestablished, Level = LogLevel.Debug,
            Message = "The Redis connection to {EndPoint} ({ConnectionType}) is established again.")]
        public static partial void ConnectionReestablished(ILogger logger, string endPoint, ConnectionType connectionType);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisResubscribeFailed,
            Message = "Re-subscribing to the Redis backplane failed; retrying in {RetryMs} ms.")]
        public static partial void ResubscribeFailed(ILogger logger, LogLevel level, long retryMs, Exception? exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisRestored, Level = LogLevel.Information,
            Message = "The Redis backplane is receiving again after {OutageMs} ms; re-subscribed {UserCount} users and asked the replica to catch them up from the store.")]
        public static partial void Restored(ILogger logger, int userCount, long outageMs);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisPublishFailed,
            Message = "Could not publish {MessageCount} messages to the Redis backplane; the store holds them and receivers catch up from it.")]
        public static partial void PublishFailed(ILogger logger, LogLevel level, int messageCount, Exception? exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisMessageNotPublishable, Level = LogLevel.Warning,
            Message = "Skipped publishing a message for a user id of {UserIdLength} characters that no Redis channel can carry.")]
        public static partial void MessageNotPublishable(ILogger logger, int userIdLength, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisSubscribeFailed, Level = LogLevel.Warning,
            Message = "Subscribing to the backplane channel of user {UserId} did not take; re-subscribing every local user.")]
        public static partial void SubscribeFailed(ILogger logger, string userId, Exception? exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisUnsubscribeFailed, Level = LogLevel.Debug,
            Message = "Unsubscribing from the backplane channel of user {UserId} failed; its messages are dropped on arrival.")]
        public static partial void UnsubscribeFailed(ILogger logger, string userId, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisMessageMalformed,
            Message = "Ignored a malformed message of {Length} bytes on Redis channel {Channel}: {Reason}.")]
        public static partial void MessageMalformed(ILogger logger, LogLevel level, int length, string channel, string reason);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisListenerFailed, Level = LogLevel.Error,
            Message = "The backplane listener threw from {Callback}.")]
        public static partial void ListenerFailed(ILogger logger, string callback, Exception exception);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisOwedDoorbellsDropped, Level = LogLevel.Warning,
            Message = "{DroppedCount} doorbells were not remembered during the Redis outage (at most {Capacity} users and {MaxBytes} bytes are owed); those users' sockets catch up through the store.")]
        public static partial void OwedDoorbellsDropped(ILogger logger, int droppedCount, int capacity, long maxBytes);

        [LoggerMessage(EventId = NotifyPushEventIds.RedisRingingOwedDoorbells, Level = LogLevel.Information,
            Message = "Redis answers again; ringing {UserCount} doorbells owed from the outage.")]
        public static partial void RingingOwedDoorbells(ILogger logger, int userCount);
    }
}
