using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Server.Authentication;

/// <summary>Service JWTs accepted by the service API. Section <c>NotifyPush:Auth:ServiceJwt</c>.</summary>
public sealed class ServiceJwtOptions
{
    /// <summary>Expected <c>aud</c> of service tokens; must differ from <c>NotifyPush:Auth:Jwt:Audience</c>. No default (service JWTs off).</summary>
    [MaxLength(1024, ErrorMessage = "NotifyPush:Auth:ServiceJwt:Audience must be at most {1} characters.")]
    public string? Audience { get; set; }

    /// <summary>Scope a service token must carry in <c>scope</c> or <c>scp</c>. Default <c>notifications:send</c>.</summary>
    [Required(ErrorMessage = "NotifyPush:Auth:ServiceJwt:Scope is required.")]
    [RegularExpression(@"^\S{1,256}$", ErrorMessage = "NotifyPush:Auth:ServiceJwt:Scope must be one scope without spaces.")]
    public string Scope { get; set; } = "notifications:send";
}
