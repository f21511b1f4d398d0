using Microsoft.Extensions.Options;

namespace NotifyPush.Server.WebPush;

/// <summary>The VAPID identity and the host list of <see cref="WebPushOptions"/>, named by their full keys.</summary>
public sealed class WebPushOptionsRulesValidator : IValidateOptions<WebPushOptions>
{
    private const string Section = WebPushOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, WebPushOptions options)
    {
        var failures = new List<string>();
        var set = new[] { options.Subject, options.PublicKey, options.PrivateKey }.Count(value => !string.IsNullOrWhiteSpace(value));
        if (set is > 0 and < 3)
        {
            failures.Add($"{Section}:Subject, {Section}:PublicKey and {Section}:PrivateKey turn Web Push on together: set all three or none.");
        }

        if (options.Enabled)
        {
            if (!Uri.TryCreate(options.Subject, UriKind.Absolute, out var subject) || subject.Scheme is not ("mailto" or "https"))
            {
                failures.Add($"{Section}:Subject must be a mailto: or https: URI (RFC 8292 §2.1), e.g. mailto:ops@example.com.");
            }

            if (!WebPushKeys.IsPublicKey(options.PublicKey))
            {
                failures.Add($"{Section}:PublicKey must be an uncompressed P-256 public key (65 bytes starting with 0x04), base64url.");
            }
            else if (!WebPushKeys.IsPrivateKeyOf(options.PrivateKey, options.PublicKey!))
            {
                // Never echo the private key.
                failures.Add($"{Section}:PrivateKey must be the P-256 private key (32 bytes, base64url) of {Section}:PublicKey.");
            }
        }

        if (options.LeaseSeconds < 2 * options.RequestTimeoutSeconds)
        {
            failures.Add($"{Section}:LeaseSeconds ({options.LeaseSeconds}) must be at least twice {Section}:RequestTimeoutSeconds ({options.RequestTimeoutSeconds}): a push still in flight when its lease runs out is sent again by another replica.");
        }

        foreach (var host in options.AllowedEndpointHosts ?? [])
        {
            var name2 = host?.TrimStart('.');
            if (string.IsNullOrWhiteSpace(name2) || Uri.CheckHostName(name2) == UriHostNameType.Unknown)
            {
                failures.Add($"{Section}:AllowedEndpointHosts holds '{host}', which is not a host name (an exact host, or .suffix for its subdomains).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
