using System.Text.Json;

namespace NotifyPush.Client.Publishing;

/// <summary>One stored notification of a user's history.</summary>
/// <param name="Seq">Its per-user sequence number.</param>
/// <param name="Id">Its id.</param>
/// <param name="Type">The type the service sent (sockets receive it as <c>event</c>).</param>
/// <param name="Payload">The payload as sent (JSON <c>null</c> when there was none).</param>
/// <param name="CreatedAt">When the server accepted it (UTC).</param>
/// <param name="ExpiresAt">When it expires if not delivered (UTC).</param>
/// <param name="Delivered">True once the user acknowledged it.</param>
public sealed record HistoryNotification(long Seq, Guid Id, string Type, JsonElement Payload, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Delivered);
