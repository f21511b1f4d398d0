namespace NotifyPush.Core.Protocol;

/// <summary>Every WebSocket close code NotifyPush sends, with what the client should do (docs/protocol.md).</summary>
public static class CloseCodes
{
    /// <summary>Normal close (the client closed, or the server has nothing more to say).</summary>
    public const int Normal = 1000;

    /// <summary>The replica is going away, or the client stopped answering heartbeats: reconnect with backoff and <c>since</c>.</summary>
    public const int GoingAway = 1001;

    /// <summary>Policy violation, e.g. an in-band refresh with another user's token: do not reconnect with the same credential.</summary>
    public const int PolicyViolation = 1008;

    /// <summary>A client frame was larger than the inbound limit.</summary>
    public const int MessageTooBig = 1009;

    /// <summary>The replica hit an internal error (e.g. the store was unreachable during replay): reconnect with backoff and <c>since</c>.</summary>
    public const int InternalError = 1011;

    /// <summary>The replica is restarting or draining: reconnect elsewhere with jittered backoff and <c>since</c>.</summary>
    public const int ServiceRestart = 1012;

    /// <summary>The credential expired and was not refreshed in time: get a new token, then reconnect.</summary>
    public const int CredentialExpired = 4001;

    /// <summary>The credential was revoked or the user signed out: stop and tell the application.</summary>
    public const int SignedOut = 4003;

    /// <summary>The client read too slowly and its send queue overflowed: reconnect and resume from the store.</summary>
    public const int SlowConsumer = 4008;

    /// <summary>A client frame was not valid protocol JSON.</summary>
    public const int MalformedFrame = 4400;
}
