namespace NotifyPush.Core.Storage;

/// <summary>One notification as the store holds it: a numbered entry of one user's stream.</summary>
/// <param name="UserId">The recipient.</param>
/// <param name="Seq">Position in the user's stream: 1, 2, 3… with no holes, in commit order.</param>
/// <param name="Id">Globally unique id, stable across idempotent retries.</param>
/// <param name="Type">The application-defined event type (sent to clients as <c>event</c>).</param>
/// <param name="PayloadJson">The payload exactly as the sender gave it, as JSON text.</param>
/// <param name="CreatedAt">When the store accepted it (UTC).</param>
/// <param name="ExpiresAt">After this instant it is no longer delivered and may be removed (UTC).</param>
public sealed record StoredNotification(
    string UserId,
    long Seq,
    Guid Id,
    string Type,
    string PayloadJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);
