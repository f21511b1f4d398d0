namespace NotifyPush.Server.Authentication;

/// <summary>The outcome of authenticating a service API call.</summary>
public enum ServiceAuthStatus
{
    /// <summary>A valid service credential.</summary>
    Succeeded = 0,

    /// <summary>Missing or invalid credential: answer 401.</summary>
    Unauthorized = 1,

    /// <summary>A valid credential that may not send (a user token, a service token without the scope): answer 403.</summary>
    Forbidden = 2,
}
