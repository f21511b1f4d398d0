namespace NotifyPush.Server.WebPush;

/// <summary>What a push service made of one push.</summary>
public enum PushOutcome
{
    /// <summary>Accepted (201).</summary>
    Sent,

    /// <summary>The subscription no longer exists (404, 410): remove it.</summary>
    Gone,

    /// <summary>Worth another attempt later (429, 5xx, no answer).</summary>
    Retry,

    /// <summary>Refused for good (another 4xx: a bad key, a payload too large, a VAPID mismatch).</summary>
    Rejected,
}
