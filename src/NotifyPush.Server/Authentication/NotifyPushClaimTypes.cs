namespace NotifyPush.Server.Authentication;

/// <summary>
/// Claim types of the principals the schemes produce. A validated token is reduced to these few claims:
/// a socket's request (and so its principal) lives as long as the socket, so nothing else is kept.
/// </summary>
public static class NotifyPushClaimTypes
{
    /// <summary>The user id of a socket's user token.</summary>
    public const string UserId = "notifypush:user";

    /// <summary>Where the socket's token came from: a <see cref="CredentialSource"/> name.</summary>
    public const string CredentialSource = "notifypush:source";

    /// <summary>The calling service's name (API key name, or <c>jwt:</c> and the client id).</summary>
    public const string Caller = "notifypush:caller";

    /// <summary>What a bearer on the service API turned out to be: <see cref="ServiceKind"/> or <see cref="UserKind"/>.</summary>
    public const string CredentialKind = "notifypush:kind";

    /// <summary>One granted scope of a service credential, API key or JWT (one claim per scope).</summary>
    public const string Scope = "notifypush:scope";

    public const string ServiceKind = "service";
    public const string UserKind = "user";
}
