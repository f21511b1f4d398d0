namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// Every log event id of NotifyPush, in ranges per area, so operators can filter and alert on them.
/// </summary>
public static class NotifyPushEventIds
{
    // 1000-1099: connections (one socket's lifetime, the registry).
    // 1100-1199: delivery (dispatch, replay, gap fill, acks, heartbeat, retention).
    // 2000-2099: SQLite store.
    // 2100-2199: Postgres store.
    // 3000-3099: Redis backplane.
    public const int RedisConnecting = 3000;
    public const int RedisConnectFailed = 3001;
    public const int RedisConnected = 3002;
    public const int RedisConnectionLost = 3003;
    public const int RedisConnectionReestablished = 3004;
    public const int RedisResubscribeFailed = 3005;
    public const int RedisRestored = 3006;
    public const int RedisPublishFailed = 3007;
    public const int RedisMessageNotPublishable = 3008;
    public const int RedisSubscribeFailed = 3009;
    public const int RedisUnsubscribeFailed = 3010;
    public const int RedisMessageMalformed = 3011;
    public const int RedisListenerFailed = 3012;
    public const int RedisOwedDoorbellsDropped = 3013;
    public const int RedisRingingOwedDoorbells = 3014;
    public const int RedisPresenceWriteFailed = 3015;
    public const int RedisPresenceWritesRecovered = 3016;
    public const int RedisPresenceLeaveFailed = 3017;
    public const int RedisAuthenticationFailed = 3030;
    public const int RedisRateLimitUnavailable = 3031;
    public const int RedisRateLimitRecovered = 3032;

    // 4000-4099: authentication.
    // 4100-4199: HTTP API.
    // 4200-4299: hosting (start-up, shutdown, draining).

    // HTTP API and socket endpoint
    public const int SocketAccepted = 4100;
    public const int HandshakeRateLimited = 4110;
    public const int EventStreamAccepted = 4120;

    // Hosting
    public const int WaitingForStore = 4200;
    public const int StoreReady = 4201;
    public const int MigrationsApplied = 4202;
    public const int MigrationsFailed = 4203;
    public const int WarmUpFinished = 4204;
    public const int WarmUpSkipped = 4205;
    public const int WarmUpFailed = 4206;
    public const int DeprecatedSetting = 4210;

    // Connections
    public const int ConnectionClosed = 1000;
    public const int SlowConsumer = 1001;
    public const int SendTimedOut = 1002;
    public const int HeartbeatTimedOut = 1003;
    public const int FrameTooLarge = 1004;
    public const int MalformedFrame = 1005;
    public const int CredentialExpired = 1006;
    public const int CredentialRefreshed = 1007;
    public const int RefreshRejected = 1008;
    public const int RefreshForAnotherUser = 1009;
    public const int SocketLimitReached = 1010;
    public const int SubscribeFailed = 1011;
    public const int AuthFramesRateLimited = 1020;
    public const int UnsubscribeFailed = 1012;

    // Delivery
    public const int Synced = 1100;
    public const int GapDetected = 1101;
    public const int StoreUnavailableDuringDelivery = 1102;
    public const int PublishFailed = 1103;
    public const int AckFlushFailed = 1104;
    public const int AckFlushRecovered = 1105;
    public const int BackplaneRestored = 1106;
    public const int RetentionPass = 1107;
    public const int RetentionFailed = 1108;
    public const int DrainStarted = 1109;
    public const int DrainCompleted = 1110;
    public const int UsersDisconnected = 1111;
    public const int DeliveryFailed = 1113;
    public const int DoorbellQueueFull = 1114;
    public const int DoorbellsLeftAtShutdown = 1115;
    public const int LiveSeqNotStored = 1130;
    public const int StoreReadIncomplete = 1131;
    public const int PositionCheckFailed = 1132;
    public const int PositionCheckRecovered = 1133;
    public const int PositionCheckPass = 1134;

    // Web Push (1200-1249).
    public const int WebPushSent = 1200;
    public const int WebPushSubscriptionGone = 1201;
    public const int WebPushRetryScheduled = 1202;
    public const int WebPushGaveUp = 1203;
    public const int WebPushRejected = 1204;
    public const int WebPushPassFailed = 1205;
    public const int WebPushWaitingForAck = 1206;
    public const int WebPushPresenceUnavailable = 1207;
    public const int WebPushPassesRecovered = 1208;

    // Authentication (4000-4099).
    public const int AuthDevelopmentSigningKey = 4000;
    public const int AuthDevelopmentApiKey = 4001;
    public const int AuthUserTokenRejected = 4010;
    public const int AuthHandshakeRejected = 4011;
    public const int AuthHandshakeOriginRejected = 4012;
    public const int AuthServiceCallRejected = 4020;
    public const int AuthSigningKeysUnavailable = 4030;
    public const int AuthSigningKeysRecovered = 4031;
    public const int AuthDevTokenIssued = 4040;

    // SQLite store (2000-2099).
    public const int SqliteStoreOpened = 2000;
    public const int SqliteMigrationApplied = 2001;
    public const int SqliteStoreUnavailable = 2002;
    public const int SqliteStoreRecovered = 2003;
    public const int SqliteIdempotentReplay = 2004;
    public const int SqliteIdempotencyConflict = 2005;
    public const int SqliteCleanupPass = 2006;
    public const int SqliteIdempotencyKeysForgotten = 2007;

    // Postgres store (2100-2199).
    public const int PostgresMigrationApplied = 2100;
    public const int PostgresSchemaUpToDate = 2101;
    public const int PostgresUnavailable = 2102;
    public const int PostgresRecovered = 2103;
    public const int PostgresIdempotentReplay = 2104;
    public const int PostgresIdempotencyRaceResolved = 2105;
    public const int PostgresCleanupPass = 2106;
    public const int PostgresCleanupSkipped = 2107;
    public const int PostgresSchemaNewerThanCode = 2108;
    public const int PostgresIdempotencyKeysForgotten = 2109;
    public const int PostgresConnectionLost = 2110;
}
