namespace NotifyPush.Server.WebPush;

/// <summary>A subscription's keys (RFC 8291), base64url.</summary>
/// <param name="P256dh">The browser's uncompressed P-256 public key (65 bytes).</param>
/// <param name="Auth">The browser's authentication secret (16 bytes).</param>
public sealed record PushSubscriptionKeys(string P256dh, string Auth);
