using System.Text;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>Cross-field rules of <see cref="JwtOptions"/>; each failure names the setting to fix.</summary>
public sealed class JwtOptionsRulesValidator : IValidateOptions<JwtOptions>
{
    private const string Prefix = JwtOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var failures = new List<string>();

        // Ranges are checked here rather than with [Range]: the source-generated copy of
        // RangeAttribute ignores ErrorMessage, so its message would not name the setting.
        if (options.ClockSkewSeconds is < 0 or > 600)
        {
            failures.Add($"{Prefix}ClockSkewSeconds must be between 0 and 600; it is {options.ClockSkewSeconds}.");
        }

        if (options.MetadataRefreshSeconds is < 1 or > 86_400)
        {
            failures.Add($"{Prefix}MetadataRefreshSeconds must be between 1 and 86400; it is {options.MetadataRefreshSeconds}.");
        }

        var sources = new List<string>(3);
        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            sources.Add(nameof(JwtOptions.SigningKey));
        }

        if (!string.IsNullOrWhiteSpace(options.PublicKeyPem))
        {
            sources.Add(nameof(JwtOptions.PublicKeyPem));
        }

        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            sources.Add(nameof(JwtOptions.Authority));
        }

        if (sources.Count == 0)
        {
            // Only reachable outside Development: there the development key fills the gap.
            failures.Add($"{Prefix}SigningKey is required outside Development (or set {Prefix}PublicKeyPem or {Prefix}Authority): without key material no token can be validated.");
        }
        else if (sources.Count > 1)
        {
            failures.Add($"Set exactly one of {Prefix}SigningKey, {Prefix}PublicKeyPem and {Prefix}Authority; found {string.Join(" and ", sources.Select(s => Prefix + s))}.");
        }

        if (!string.IsNullOrWhiteSpace(options.SigningKey))
        {
            var bytes = Encoding.UTF8.GetByteCount(options.SigningKey);
            if (bytes < SigningKeyMaterial.MinimumHmacKeyBytes)
            {
                failures.Add($"{Prefix}SigningKey must be at least {SigningKeyMaterial.MinimumHmacKeyBytes} bytes of UTF-8 for HS256; it has {bytes}.");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.PublicKeyPem))
        {
            if (SigningKeyMaterial.TryCreatePublicKey(options.PublicKeyPem, out var key, out _))
            {
                if (key.PrivateKeyStatus == Microsoft.IdentityModel.Tokens.PrivateKeyStatus.Exists)
                {
                    failures.Add($"{Prefix}PublicKeyPem holds a private key; configure the public key only.");
                }
            }
            else
            {
                failures.Add($"{Prefix}PublicKeyPem is not a PEM-encoded RSA or EC (P-256/P-384/P-521) public key or certificate.");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Authority))
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority)
                || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"{Prefix}Authority must be an absolute http(s) URL.");
            }
            else if (options.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"{Prefix}Authority must use https (set {Prefix}RequireHttpsMetadata=false only for local development).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{Prefix}Audience is required: user tokens are checked for it.");
        }

        if (string.IsNullOrWhiteSpace(options.Issuer) && string.IsNullOrWhiteSpace(options.Authority))
        {
            failures.Add($"{Prefix}Issuer is required unless {Prefix}Authority is set.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
