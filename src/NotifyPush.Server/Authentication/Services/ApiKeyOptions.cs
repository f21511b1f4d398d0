using System.ComponentModel.DataAnnotations;

namespace NotifyPush.Server.Authentication;

/// <summary>One service API key, configured under <c>NotifyPush:Auth:ApiKeys:N</c>.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The calling service's name; it scopes idempotency keys and appears in logs. No default.</summary>
    /// <remarks>No ':' so an API key name can never equal a JWT caller name (<c>jwt:…</c>).</remarks>
    [Required(ErrorMessage = "NotifyPush:Auth:ApiKeys:N:Name is required.")]
    [RegularExpression(@"^[A-Za-z0-9_.\-]{1,64}$", ErrorMessage = "NotifyPush:Auth:ApiKeys:N:Name must be 1-64 characters of letters, digits, '_', '.', '-'.")]
    public string Name { get; set; } = "";

    /// <summary>Lower- or upper-case hex SHA-256 of the UTF-8 key (64 characters). No default.</summary>
    [Required(ErrorMessage = "NotifyPush:Auth:ApiKeys:N:Sha256 is required.")]
    [RegularExpression("^[0-9A-Fa-f]{64}$", ErrorMessage = "NotifyPush:Auth:ApiKeys:N:Sha256 must be the 64-character hex SHA-256 of the key.")]
    public string Sha256 { get; set; } = "";

    /// <summary>
    /// What the key may do: any of <c>notifications:send</c>, <c>notifications:read</c>, <c>users:disconnect</c>,
    /// <c>presence:read</c>, <c>admin</c>, <c>metrics:read</c>. Default none, which means <c>notifications:send</c> only.
    /// </summary>
    /// <remarks>An unknown name stops start-up (checked by <see cref="AuthOptionsRulesValidator"/>).</remarks>
    public string[] Scopes { get; set; } = [];
}
