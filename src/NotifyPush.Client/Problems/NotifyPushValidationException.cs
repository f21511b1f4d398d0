namespace NotifyPush.Client.Problems;

/// <summary>400 Bad Request: the request body or a parameter is invalid; see Errors. Retrying the same request fails again.</summary>
public sealed class NotifyPushValidationException : NotifyPushException
{
    internal NotifyPushValidationException(string message, ProblemResponse problem)
        : base(message, problem)
    {
    }
}
