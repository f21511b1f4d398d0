namespace NotifyPush.Core.Storage;

/// <summary>A send as the API accepted it: one notification for each user id, stored in one transaction.</summary>
/// <param name="Caller">Name of the authenticated service; idempotency keys are scoped to it.</param>
/// <param name="IdempotencyKey">Optional key that makes a retry return the original result.</param>
/// <param name="RequestHash">Hash of the request's meaning; the same key with another hash is a conflict. Only compared
/// for a request with a key: the API leaves it empty without one.</param>
/// <param name="UserIds">Recipients, distinct, in request order. The result keeps this order.</param>
/// <param name="Type">Application-defined event type.</param>
/// <param name="PayloadJson">Payload as compact JSON text.</param>
/// <param name="CreatedAt">Acceptance time (UTC).</param>
/// <param name="ExpiresAt">Expiry time (UTC).</param>
/// <param name="WebPush">When set, the send opted into Web Push: the store queues one push job per recipient in the
/// same transaction as the notifications (<see cref="IWebPushStore"/>). Null costs nothing extra.</param>
public sealed record AppendRequest(
    string Caller,
    string? IdempotencyKey,
    string RequestHash,
    IReadOnlyList<string> UserIds,
    string Type,
    string PayloadJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    WebPushContent? WebPush = null);
