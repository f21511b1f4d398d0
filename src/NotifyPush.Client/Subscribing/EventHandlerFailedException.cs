namespace NotifyPush.Client.Subscribing;

/// <summary>
/// Carries an exception thrown by an application's event handler out of the socket's read loop, past the handling
/// meant for network and protocol failures, to the connection loop, which ends the enumeration with the original.
/// </summary>
internal sealed class EventHandlerFailedException(Exception innerException)
    : Exception("An event handler of the subscriber threw.", innerException);
