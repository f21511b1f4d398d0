namespace NotifyPush.Client.Publishing;

/// <summary>The answer to a send: the notifications are committed in the store.</summary>
public sealed class SendResult
{
    internal SendResult(IReadOnlyList<SentNotification> notifications, bool idempotentReplayed, string idempotencyKey, int attempts)
    {
        Notifications = notifications;
        IdempotentReplayed = idempotentReplayed;
        IdempotencyKey = idempotencyKey;
        Attempts = attempts;
    }

    /// <summary>One entry per recipient, in request order.</summary>
    public IReadOnlyList<SentNotification> Notifications { get; }

    /// <summary>
    /// True when the server answered with the result of an earlier request with the same key (<c>Idempotent-Replayed</c>):
    /// an earlier attempt had committed, or the key was used before with the same request. Nothing new was stored.
    /// </summary>
    public bool IdempotentReplayed { get; }

    /// <summary>The key the send used on every attempt.</summary>
    public string IdempotencyKey { get; }

    /// <summary>Attempts made, 1 when the first one succeeded.</summary>
    public int Attempts { get; }
}
