using System.Text.Json;

namespace NotifyPush.Client.Subscribing;

/// <summary>A notification as the subscriber hands it to the application, in seq order and once.</summary>
/// <param name="Seq">Its place in the user's stream.</param>
/// <param name="Id">Its id.</param>
/// <param name="Event">The type the service sent, e.g. <c>order.shipped</c>.</param>
/// <param name="Payload">The service's JSON payload (<c>null</c> when it sent none); use <c>Payload.Deserialize&lt;T&gt;()</c> for a typed view.</param>
/// <param name="CreatedAt">When the server accepted it (UTC).</param>
/// <param name="Replayed">True when it came from the store's replay after a (re)connect, false when it arrived live.</param>
public sealed record ReceivedNotification(long Seq, Guid Id, string Event, JsonElement Payload, DateTimeOffset CreatedAt, bool Replayed);
