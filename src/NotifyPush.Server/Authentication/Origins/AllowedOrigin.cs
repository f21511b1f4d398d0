using System.Diagnostics.CodeAnalysis;

namespace NotifyPush.Server.Authentication;

/// <summary>Parses and compares web origins (<c>scheme://host[:port]</c>) the way browsers serialise them.</summary>
public static class AllowedOrigin
{
    /// <summary>
    /// Normalises an origin to lower-case <c>scheme://host[:port]</c> without the default port;
    /// false for anything else (a path, query, user info, a wildcard, the opaque origin <c>null</c>).
    /// </summary>
    public static bool TryNormalize(string? origin, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (string.IsNullOrWhiteSpace(origin) || origin.Contains('*') || origin.EndsWith('/'))
        {
            return false;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.AbsolutePath != "/"
            || uri.Query.Length != 0
            || uri.Fragment.Length != 0
            || uri.UserInfo.Length != 0
            || uri.Host.Length == 0)
        {
            return false;
        }

        // GetLeftPart lower-cases scheme and host and drops a default port, as browsers do.
        normalized = uri.GetLeftPart(UriPartial.Authority);
        return true;
    }
}
