namespace NotifyPush.Client.Problems;

/// <summary>401 (no or bad service credential) or 403 (a credential that may not call the service API, such as a user token). Retrying does not help until the credential is fixed.</summary>
public sealed class NotifyPushAuthenticationException : NotifyPushException
{
    internal NotifyPushAuthenticationException(string message, ProblemResponse problem)
        : base(message, problem)
    {
    }
}
