namespace NotifyPush.Client.Subscribing;

/// <summary>The WebSocket close codes NotifyPush sends (docs/protocol.md), and what the subscriber does on each.</summary>
public static class NotifyPushCloseCodes
{
    /// <summary>Normal close. The subscriber reconnects unless it was the one closing.</summary>
    public const int Normal = 1000;

    /// <summary>Heartbeat timeout or the replica going away: reconnect with backoff and <c>since</c>.</summary>
    public const int GoingAway = 1001;

    /// <summary>The connection dropped without a close frame (also a refused handshake, a silent socket): reconnect with backoff.</summary>
    public const int Abnormal = 1006;

    /// <summary>Policy violation, e.g. a refreshed token of another user: stop.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>A client frame over the server's size limit: stop.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>The replica hit an internal error (e.g. the store failed during replay): reconnect with backoff.</summary>
    public const int InternalError = 1011;

    /// <summary>The replica is restarting or draining: reconnect elsewhere with backoff.</summary>
    public const int ServiceRestart = 1012;

    /// <summary>The credential expired or a refreshed one was rejected: get a new token, then reconnect.</summary>
    public const int CredentialExpired = 4001;

    /// <summary>The user was signed out: stop (<see cref="Problems.NotifyPushSignedOutException"/>).</summary>
    public const int SignedOut = 4003;

    /// <summary>The client read too slowly: reconnect; what it missed is replayed from the store.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>A malformed client frame: stop.</summary>
    public const int MalformedFrame = 4400;

    /// <summary>Whether the subscriber stops for good after <paramref name="code"/> instead of reconnecting.</summary>
    public static bool IsTerminal(int code) => code is SignedOut or PolicyViolation or MessageTooBig or MalformedFrame;
}
