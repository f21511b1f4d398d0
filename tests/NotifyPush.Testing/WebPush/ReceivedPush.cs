using System.Text.Json;

namespace NotifyPush.Testing;

/// <summary>A push the stand-in accepted: verified VAPID, decrypted message.</summary>
/// <param name="SubscriptionId">The endpoint's last path segment.</param>
/// <param name="Message">The decrypted JSON the service worker would get.</param>
/// <param name="TimeToLive">The TTL header, in seconds.</param>
/// <param name="Status">What the stand-in answered.</param>
public sealed record ReceivedPush(string SubscriptionId, JsonElement Message, int TimeToLive, int Status)
{
    public long Seq => Message.GetProperty("seq").GetInt64();

    public Guid NotificationId => Message.GetProperty("id").GetGuid();
}
