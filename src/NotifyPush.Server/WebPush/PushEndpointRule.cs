namespace NotifyPush.Server.WebPush;

/// <summary>
/// Which push endpoints the server will POST to. A subscription's endpoint is a URL a user chose: only https to an
/// allowed push-service host on the default port, so a subscription can never make the server call an internal address.
/// </summary>
public static class PushEndpointRule
{
    /// <summary>Longest endpoint accepted, in characters (the major push services' are under 600).</summary>
    public const int MaxLength = 1024;

    /// <summary>Null when the server may push to <paramref name="endpoint"/>, else why not.</summary>
    public static string? Problem(string endpoint, WebPushOptions options)
    {
        if (endpoint.Length > MaxLength)
        {
            return $"endpoint must be at most {MaxLength} characters.";
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return "endpoint must be an absolute https URL.";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !options.AllowInsecureEndpoints)
        {
            return "endpoint must use https.";
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "endpoint must not carry user information or a fragment.";
        }

        if (!uri.IsDefaultPort && !options.AllowInsecureEndpoints)
        {
            return "endpoint must use the default https port.";
        }

        return IsAllowedHost(uri.IdnHost, options.EffectiveAllowedEndpointHosts)
            ? null
            : $"endpoint's host '{uri.IdnHost}' is not a push service this server sends to ({WebPushOptions.SectionName}:AllowedEndpointHosts).";
    }

    /// <summary>Exact match, or a subdomain of an entry that starts with a dot; case-insensitive.</summary>
    public static bool IsAllowedHost(string host, IReadOnlyList<string> allowed)
    {
        foreach (var entry in allowed)
        {
            if (entry.StartsWith('.')
                ? host.Length > entry.Length && host.EndsWith(entry, StringComparison.OrdinalIgnoreCase)
                : host.Equals(entry, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
