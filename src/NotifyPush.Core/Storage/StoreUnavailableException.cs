namespace NotifyPush.Core.Storage;

/// <summary>
/// The store could not be reached or is overloaded. Nothing was committed by the failing call;
/// the caller may retry (with the same idempotency key) after a short delay.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null)
    : Exception(message, innerException);
