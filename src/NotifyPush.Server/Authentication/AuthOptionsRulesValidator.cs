using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>Cross-field rules of <see cref="AuthOptions"/>; each failure names the setting to fix.</summary>
public sealed class AuthOptionsRulesValidator : IValidateOptions<AuthOptions>
{
    private const string Prefix = AuthOptions.SectionName + ":";
    private readonly IOptions<JwtOptions> _jwtOptions;

    public AuthOptionsRulesValidator(IOptions<JwtOptions> jwtOptions)
    {
        _jwtOptions = jwtOptions;
    }

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        var serviceAudience = options.ServiceJwt?.Audience;

        // Checked here rather than with [Range]: the source-generated copy of RangeAttribute
        // ignores ErrorMessage, so its message would not name the setting.
        if (options.DevTokenLifetimeSeconds is < 1 or > 86_400)
        {
            failures.Add($"{Prefix}DevTokenLifetimeSeconds must be between 1 and 86400; it is {options.DevTokenLifetimeSeconds}.");
        }

        if (options.ApiKeys.Length == 0 && string.IsNullOrWhiteSpace(serviceAudience))
        {
            // Only reachable outside Development: there the development API key fills the gap.
            failures.Add($"{Prefix}ApiKeys (e.g. {Prefix}ApiKeys:0:Name and {Prefix}ApiKeys:0:Sha256) or {Prefix}ServiceJwt:Audience is required outside Development: without a service credential no service can send notifications.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.ApiKeys.Length; i++)
        {
            var apiKey = options.ApiKeys[i];
            if (apiKey is null)
            {
                failures.Add($"{Prefix}ApiKeys:{i} is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(apiKey.Name) && !names.Add(apiKey.Name))
            {
                failures.Add($"{Prefix}ApiKeys:{i}:Name '{apiKey.Name}' is used twice; API key names must be unique.");
            }

            if (!string.IsNullOrEmpty(apiKey.Sha256) && !hashes.Add(apiKey.Sha256))
            {
                failures.Add($"{Prefix}ApiKeys:{i}:Sha256 repeats the hash of another API key; one key must identify one caller.");
            }

            var scopes = apiKey.Scopes ?? [];
            for (var j = 0; j < scopes.Length; j++)
            {
                if (!ServiceScopes.IsKnown(scopes[j]))
                {
                    failures.Add($"{Prefix}ApiKeys:{i}:Scopes:{j} ('{scopes[j]}') is not a scope; use {string.Join(", ", ServiceScopes.All)}.");
                }
            }
        }

        for (var i = 0; i < options.AllowedOrigins.Length; i++)
        {
            if (!AllowedOrigin.TryNormalize(options.AllowedOrigins[i], out _))
            {
                failures.Add($"{Prefix}AllowedOrigins:{i} ('{options.AllowedOrigins[i]}') must be an exact origin: scheme://host[:port], no path, no trailing '/', no wildcard.");
            }
        }

        if (!string.IsNullOrWhiteSpace(serviceAudience)
            && TryGetUserAudience(out var userAudience)
            && string.Equals(serviceAudience, userAudience, StringComparison.Ordinal))
        {
            failures.Add($"{Prefix}ServiceJwt:Audience must differ from {JwtOptions.SectionName}:Audience, or a user token would pass as a service token.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private bool TryGetUserAudience(out string? audience)
    {
        try
        {
            audience = _jwtOptions.Value.Audience;
            return true;
        }
        catch (OptionsValidationException)
        {
            // The JWT options report their own failures; this rule cannot be checked without them.
            audience = null;
            return false;
        }
    }
}
