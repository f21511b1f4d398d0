namespace NotifyPush.Core.Storage;

/// <summary>The idempotency key was used before by the same caller for a different request.</summary>
public sealed class IdempotencyConflictException(string caller, string idempotencyKey)
    : Exception($"Idempotency key '{idempotencyKey}' of caller '{caller}' was already used for a different request.")
{
    public string Caller { get; } = caller;

    public string IdempotencyKey { get; } = idempotencyKey;
}
