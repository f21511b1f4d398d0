namespace NotifyPush.Client.Publishing;

/// <summary>Optional settings of one send.</summary>
public sealed class NotificationSendOptions
{
    /// <summary>
    /// The <c>Idempotency-Key</c> (1 to 255 printable ASCII characters, no spaces). Default: a new random key per send.
    /// Pass your own (e.g. <c>order-1234-shipped</c>) to make a send that your service itself repeats, after a crash
    /// say, store one notification.
    /// </summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>How long the notification is kept when not delivered (whole seconds, rounded up); default the server's (7 days).</summary>
    public TimeSpan? TimeToLive { get; set; }
}
