using Microsoft.AspNetCore.Http;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Finds the user token of a socket handshake. The first source present decides, in this order:
/// <c>Authorization: Bearer</c>, the <c>access_token</c> query parameter (on the socket and event stream paths only), the cookie.
/// A later source is not tried when an earlier one is unusable, so a stale header never falls back to a cookie.
/// </summary>
internal readonly record struct UserTokenSource(string? Token, CredentialSource Source, string? Error)
{
    /// <summary>Query parameter that may carry the user token (browsers cannot set headers on a WebSocket).</summary>
    public const string AccessTokenQueryName = "access_token";

    private static readonly object ItemKey = new();

    /// <summary>Reads the token and its source; <see cref="Error"/> is set when the first source present is unusable.</summary>
    public static UserTokenSource Read(HttpRequest request, string cookieName, IReadOnlyList<PathString> queryTokenPaths)
    {
        switch (AuthorizationHeader.Read(request, out var scheme, out var credential))
        {
            case AuthorizationHeaderState.Present when scheme.Equals(AuthorizationHeader.BearerScheme, StringComparison.OrdinalIgnoreCase):
                return new(credential, CredentialSource.AuthorizationHeader, null);
            case AuthorizationHeaderState.Present when scheme.Equals(AuthorizationHeader.ApiKeyScheme, StringComparison.OrdinalIgnoreCase):
                return new(null, CredentialSource.AuthorizationHeader, "service credentials cannot open a socket");
            case AuthorizationHeaderState.Present:
                return new(null, CredentialSource.AuthorizationHeader, "unsupported authorization scheme");
            case AuthorizationHeaderState.Malformed:
                return new(null, CredentialSource.AuthorizationHeader, "authorization header is malformed");
        }

        // SignalR's documented pattern: the query string carries a token only where a WebSocket (or an EventSource)
        // needs it; elsewhere (POST /sse/ack included) a client can set a header.
        if (IsQueryTokenPath(request.Path, queryTokenPaths))
        {
            var query = request.Query[AccessTokenQueryName];
            if (query.Count > 1)
            {
                return new(null, CredentialSource.QueryString, "several access_token values");
            }

            if (!string.IsNullOrEmpty(query.ToString()))
            {
                return new(query.ToString(), CredentialSource.QueryString, null);
            }
        }

        if (request.Cookies.TryGetValue(cookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            return new(cookie, CredentialSource.Cookie, null);
        }

        return new(null, CredentialSource.None, null);
    }

    private static bool IsQueryTokenPath(PathString path, IReadOnlyList<PathString> queryTokenPaths)
    {
        foreach (var candidate in queryTokenPaths)
        {
            if (path.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Remembers for the rest of the request where its token came from (for the Origin rule and the logs).</summary>
    public static void Remember(HttpContext context, CredentialSource source) => context.Items[ItemKey] = source;

    /// <summary>Where the request's token came from, or <see cref="CredentialSource.None"/>.</summary>
    public static CredentialSource Recall(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var source) && source is CredentialSource value ? value : CredentialSource.None;
}
