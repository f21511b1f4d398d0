namespace NotifyPush.Client.Problems;

/// <summary>413: the payload or the whole body is over the server's limit.</summary>
public sealed class NotifyPushPayloadTooLargeException : NotifyPushException
{
    internal NotifyPushPayloadTooLargeException(string message, ProblemResponse problem)
        : base(message, problem)
    {
    }
}
