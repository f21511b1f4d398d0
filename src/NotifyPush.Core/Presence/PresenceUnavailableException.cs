namespace NotifyPush.Core.Presence;

/// <summary>Presence cannot be answered now (its Redis is unreachable); delivery is not affected.</summary>
public sealed class PresenceUnavailableException : Exception
{
    public PresenceUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
