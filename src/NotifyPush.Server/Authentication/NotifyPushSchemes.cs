namespace NotifyPush.Server.Authentication;

/// <summary>The authentication schemes the server registers, by name.</summary>
public static class NotifyPushSchemes
{
    /// <summary>User JWT of the socket handshake (JwtBearer): header, <c>access_token</c> query or cookie.</summary>
    public const string UserToken = "UserToken";

    /// <summary>Service JWT on the service API (JwtBearer): <c>Authorization: Bearer</c> with the service audience.</summary>
    public const string ServiceToken = "ServiceToken";

    /// <summary>Service API key on the service API: <c>Authorization: ApiKey &lt;key&gt;</c>.</summary>
    public const string ApiKey = "ApiKey";

    /// <summary>The service API's scheme: forwards a Bearer header to <see cref="ServiceToken"/>, anything else to <see cref="ApiKey"/>.</summary>
    public const string Service = "Service";
}
