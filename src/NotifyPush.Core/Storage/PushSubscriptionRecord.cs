namespace NotifyPush.Core.Storage;

/// <summary>A browser's push subscription (RFC 8030 endpoint and RFC 8291 keys) as the store keeps it for its user.</summary>
/// <param name="UserId">The user it delivers to. An endpoint belongs to one user at a time: saving it for another moves it.</param>
/// <param name="Endpoint">The push service's URL for this browser (a capability: never logged).</param>
/// <param name="P256dh">The browser's P-256 public key, base64url (65 bytes uncompressed).</param>
/// <param name="Auth">The browser's authentication secret, base64url (16 bytes).</param>
/// <param name="CreatedAt">When it was saved (UTC).</param>
public sealed record PushSubscriptionRecord(string UserId, string Endpoint, string P256dh, string Auth, DateTimeOffset CreatedAt);
