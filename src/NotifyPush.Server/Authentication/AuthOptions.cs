using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>Where credentials come from and who may call the service API. Section <c>NotifyPush:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "NotifyPush:Auth";

    /// <summary>Cookie that may carry the user JWT on the socket handshake. Default <c>__Host-notifypush_token</c>.</summary>
    /// <remarks>
    /// The <c>__Host-</c> prefix makes browsers accept the cookie only when it is set with <c>Secure</c>, <c>Path=/</c> and
    /// no <c>Domain</c>: no sibling subdomain and no plain-HTTP page can plant or shadow it. Set another name to keep an
    /// existing cookie (e.g. one scoped to a parent domain).
    /// </remarks>
    [Required(ErrorMessage = "NotifyPush:Auth:CookieName is required.")]
    [RegularExpression(@"^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,128}$", ErrorMessage = "NotifyPush:Auth:CookieName must be a valid cookie name (letters, digits and !#$%&'*+-.^_`|~).")]
    public string CookieName { get; set; } = "__Host-notifypush_token";

    /// <summary>Exact origins (<c>scheme://host[:port]</c>) allowed to open a socket authenticated by the cookie. Default none.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Service API keys, stored as SHA-256 hashes; a service sends <c>Authorization: ApiKey &lt;key&gt;</c>. Default none (Development: <c>dev-api-key</c>).</summary>
    [ValidateEnumeratedItems]
    public ApiKeyOptions[] ApiKeys { get; set; } = [];

    /// <summary>Service JWTs: a distinct audience and a required scope, signed with the same key material as user tokens.</summary>
    [ValidateObjectMembers]
    public ServiceJwtOptions ServiceJwt { get; set; } = new();

    /// <summary>Longest lifetime of a Development token from <c>POST /dev/token</c>, in seconds. Default 900.</summary>
    /// <remarks>Range 1-86400, checked by <see cref="AuthOptionsRulesValidator"/>.</remarks>
    public int DevTokenLifetimeSeconds { get; set; } = 900;
}
