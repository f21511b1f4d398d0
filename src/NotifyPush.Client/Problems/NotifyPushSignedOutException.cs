namespace NotifyPush.Client.Problems;

/// <summary>
/// 4003: a service signed the user out (<c>POST /api/users/{userId}/disconnect</c>). The subscriber does not reconnect;
/// the application should end the user's session.
/// </summary>
public sealed class NotifyPushSignedOutException : NotifyPushSocketClosedException
{
    internal NotifyPushSignedOutException(string? closeReason)
        : base(4003, closeReason, $"The user was signed out (close code 4003, \"{closeReason}\").")
    {
    }
}
