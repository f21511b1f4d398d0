namespace NotifyPush.Server.Authentication;

/// <summary>The outcome of authenticating a socket handshake.</summary>
public enum HandshakeAuthStatus
{
    /// <summary>A valid user token; the upgrade may proceed.</summary>
    Succeeded = 0,

    /// <summary>Missing, invalid or wrong kind of credential: answer 401.</summary>
    Unauthorized = 1,

    /// <summary>A valid cookie from an origin that is not allowed (or no origin): answer 403.</summary>
    Forbidden = 2,
}
