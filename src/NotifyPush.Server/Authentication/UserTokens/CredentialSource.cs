namespace NotifyPush.Server.Authentication;

/// <summary>Where the socket handshake found the user token, in order of precedence.</summary>
public enum CredentialSource
{
    /// <summary>No credential was presented.</summary>
    None = 0,

    /// <summary><c>Authorization: Bearer &lt;jwt&gt;</c>.</summary>
    AuthorizationHeader = 1,

    /// <summary>The <c>access_token</c> query parameter (browsers cannot set WebSocket headers).</summary>
    QueryString = 2,

    /// <summary>The configured cookie; the <c>Origin</c> must then be allowed.</summary>
    Cookie = 3,
}
