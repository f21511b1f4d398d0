using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// How user tokens (and service tokens) are validated. Section <c>NotifyPush:Auth:Jwt</c>.
/// Exactly one key source is configured: <see cref="SigningKey"/>, <see cref="PublicKeyPem"/> or <see cref="Authority"/>.
/// </summary>
public sealed class JwtOptions
{
    public const string SectionName = "NotifyPush:Auth:Jwt";

    /// <summary>Expected <c>iss</c>. Required unless <see cref="Authority"/> is set (then the discovery document's issuer). No default (Development: <c>notifypush-dev</c>).</summary>
    [MaxLength(1024, ErrorMessage = "NotifyPush:Auth:Jwt:Issuer must be at most {1} characters.")]
    public string? Issuer { get; set; }

    /// <summary>Expected <c>aud</c> of user tokens. Required. No default (Development: <c>notifypush</c>).</summary>
    [MaxLength(1024, ErrorMessage = "NotifyPush:Auth:Jwt:Audience must be at most {1} characters.")]
    public string? Audience { get; set; }

    /// <summary>HS256 shared secret, at least 32 bytes of UTF-8. No default (Development: a fixed development key).</summary>
    public string? SigningKey { get; set; }

    /// <summary>PEM public key or certificate: RSA selects RS256, EC selects ES256 (ES384/ES512 for P-384/P-521). No default.</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>OpenID Connect issuer URL; keys and algorithms come from its <c>/.well-known/openid-configuration</c>. No default.</summary>
    [MaxLength(2048, ErrorMessage = "NotifyPush:Auth:Jwt:Authority must be at most {1} characters.")]
    public string? Authority { get; set; }

    /// <summary>Refuse a non-https <see cref="Authority"/>; turn off only for local development and tests. Default true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Least seconds between discovery fetches forced by a token with an unknown key (key rotation) or by a failed fetch. Default 30.</summary>
    /// <remarks>Range 1-86400, checked by <see cref="JwtOptionsRulesValidator"/>. Scheduled refreshes happen daily regardless.</remarks>
    public int MetadataRefreshSeconds { get; set; } = 30;

    /// <summary>Claim that holds the user id; its value must not be empty. Default <c>sub</c>.</summary>
    [Required(ErrorMessage = "NotifyPush:Auth:Jwt:UserIdClaim is required.")]
    [RegularExpression(@"^\S{1,256}$", ErrorMessage = "NotifyPush:Auth:Jwt:UserIdClaim must be a claim name without spaces.")]
    public string UserIdClaim { get; set; } = "sub";

    /// <summary>Seconds of clock difference tolerated on <c>exp</c> and <c>nbf</c>. Default 30.</summary>
    /// <remarks>Range 0-600, checked by <see cref="JwtOptionsRulesValidator"/>.</remarks>
    public int ClockSkewSeconds { get; set; } = 30;
}
