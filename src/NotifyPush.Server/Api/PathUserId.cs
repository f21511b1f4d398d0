using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.Features;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Api;

/// <summary>
/// The user id of a <c>/api/users/{userId}/…</c> route, decoded once from the raw request target.
/// </summary>
/// <remarks>
/// Kestrel decodes every escape of the path before routing except <c>%2F</c>, which it keeps so that it does not become
/// a separator. The route value is therefore decoded "almost once": the id <c>a/b</c> (sent as <c>a%2Fb</c>) and the id
/// <c>a%2Fb</c> (sent as <c>a%252Fb</c>) both arrive as <c>a%2Fb</c>, and one user's request would reach the other.
/// Decoding the segment exactly once from the raw target, as the client encoded it, keeps every id distinct.
/// </remarks>
public static class PathUserId
{
    // In "/users/{userId}/…" under the "/api" group the id is segment 3 of the path, counting the empty one before
    // the first "/".
    private const int SegmentIndex = 3;

    /// <summary>Reads and validates the id; on failure <paramref name="problem"/> says why (a 400).</summary>
    public static bool TryRead(HttpContext context, [NotNullWhen(true)] out string? userId, [NotNullWhen(false)] out string? problem) =>
        TryRead(context, SegmentIndex, out userId, out problem);

    /// <summary>As <see cref="TryRead(HttpContext, out string?, out string?)"/>, for a route whose id is path segment <paramref name="segmentIndex"/> (e.g. 4 in <c>/api/admin/users/{userId}</c>).</summary>
    public static bool TryRead(HttpContext context, int segmentIndex, [NotNullWhen(true)] out string? userId, [NotNullWhen(false)] out string? problem)
    {
        userId = null;
        var raw = RawPath(context).Split('/');

        // The server removes "." and ".." segments (also escaped ones) before routing, so after one of them the raw
        // segments no longer line up with the route's. Such a path is refused instead of guessed at; no user id is
        // "." or "..", so no user is unreachable because of it.
        if (raw.Any(segment => Uri.UnescapeDataString(segment) is "." or ".."))
        {
            problem = "The path must not contain \".\" or \"..\" segments.";
            return false;
        }

        // The routed path is the tail of the raw one (a path base, when there is one, comes first).
        var index = raw.Length - (context.Request.Path.Value ?? string.Empty).Count(c => c == '/') - 1 + segmentIndex;
        if (index < 0 || index >= raw.Length || !TryDecode(raw[index], out var decoded))
        {
            problem = "The user id in the path must be percent-encoded UTF-8 (escape it with encodeURIComponent or Uri.EscapeDataString).";
            return false;
        }

        problem = UserIds.Validate(decoded);
        if (problem is not null)
        {
            return false;
        }

        userId = decoded;
        return true;
    }

    /// <summary>The raw path as the client sent it: the request target without query, in origin form.</summary>
    private static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            // A host that does not keep the raw target (an in-memory test host): the path as routed, re-escaped.
            return (context.Request.PathBase + context.Request.Path).ToUriComponent();
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        if (!path.StartsWith('/'))
        {
            // Absolute form ("http://host/path"), which HTTP/1.1 servers must accept: drop scheme and authority.
            var authority = path.IndexOf("://", StringComparison.Ordinal);
            var slash = authority < 0 ? -1 : path.IndexOf('/', authority + 3);
            path = slash < 0 ? "/" : path[slash..];
        }

        return path;
    }

    /// <summary>Percent-decodes <paramref name="segment"/> exactly once; false unless every escape is well formed and the bytes are UTF-8.</summary>
    private static bool TryDecode(string segment, [NotNullWhen(true)] out string? value)
    {
        value = null;
        var bytes = new byte[segment.Length];
        var length = 0;
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (c == '%')
            {
                if (i + 2 >= segment.Length || !byte.TryParse(segment.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[length]))
                {
                    return false;
                }

                length++;
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                // Request targets are ASCII; a raw non-ASCII character was not escaped by the client.
                return false;
            }
        }

        if (!Utf8.IsValid(bytes.AsSpan(0, length)))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(bytes, 0, length);
        return true;
    }
}
