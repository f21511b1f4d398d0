using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace NotifyPush.Server.Authentication;

/// <summary>Splits an <c>Authorization</c> header into scheme and credential.</summary>
internal static class AuthorizationHeader
{
    public const string BearerScheme = "Bearer";
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>The header's state: absent, present once (scheme + credential), or unusable (several values, no credential).</summary>
    public static AuthorizationHeaderState Read(HttpRequest request, out string scheme, out string credential)
    {
        scheme = "";
        credential = "";
        var values = request.Headers[HeaderNames.Authorization];
        if (values.Count == 0)
        {
            return AuthorizationHeaderState.Absent;
        }

        if (values.Count > 1)
        {
            return AuthorizationHeaderState.Malformed;
        }

        var value = (values[0] ?? "").Trim();
        if (value.Length == 0)
        {
            return AuthorizationHeaderState.Absent;
        }

        var space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            scheme = value;
            return AuthorizationHeaderState.Malformed;
        }

        scheme = value[..space];
        credential = value[(space + 1)..].Trim();
        return credential.Length == 0 ? AuthorizationHeaderState.Malformed : AuthorizationHeaderState.Present;
    }
}
