using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Registered in Development only: fills in <see cref="DevelopmentCredentials"/> where no key
/// material, issuer, audience or service credential is configured, and warns that it did.
/// </summary>
internal sealed partial class DevelopmentCredentialFallback : IPostConfigureOptions<JwtOptions>, IPostConfigureOptions<AuthOptions>
{
    private readonly ILogger<DevelopmentCredentialFallback> _logger;

    public DevelopmentCredentialFallback(ILogger<DevelopmentCredentialFallback> logger)
    {
        _logger = logger;
    }

    public void PostConfigure(string? name, JwtOptions options)
    {
        var applied = new List<string>(3);
        if (string.IsNullOrWhiteSpace(options.SigningKey)
            && string.IsNullOrWhiteSpace(options.PublicKeyPem)
            && string.IsNullOrWhiteSpace(options.Authority))
        {
            options.SigningKey = DevelopmentCredentials.SigningKey;
            applied.Add(JwtOptions.SectionName + ":SigningKey");
        }

        // With an authority the discovery document names the issuer.
        if (string.IsNullOrWhiteSpace(options.Issuer) && string.IsNullOrWhiteSpace(options.Authority))
        {
            options.Issuer = DevelopmentCredentials.Issuer;
            applied.Add(JwtOptions.SectionName + ":Issuer=" + DevelopmentCredentials.Issuer);
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            options.Audience = DevelopmentCredentials.Audience;
            applied.Add(JwtOptions.SectionName + ":Audience=" + DevelopmentCredentials.Audience);
        }

        if (applied.Count > 0)
        {
            Log.DevelopmentSigningKey(_logger, string.Join(", ", applied));
        }
    }

    public void PostConfigure(string? name, AuthOptions options)
    {
        if (options.ApiKeys.Length == 0 && string.IsNullOrWhiteSpace(options.ServiceJwt?.Audience))
        {
            options.ApiKeys =
            [
                new ApiKeyOptions { Name = DevelopmentCredentials.ApiKeyName, Sha256 = DevelopmentCredentials.ApiKeySha256, Scopes = [.. ServiceScopes.All] },
            ];
            Log.DevelopmentApiKey(_logger, DevelopmentCredentials.ApiKeyName);
        }
    }
}
