using System.Text.RegularExpressions;

namespace NotifyPush.Server.Logging;

/// <summary>Replaces credential values in log text: <c>access_token=…</c> in URLs and <c>"token":"…"</c> / <c>"access_token":"…"</c> in JSON.</summary>
public static partial class AccessTokenRedactor
{
    /// <summary>What a redacted value is replaced with.</summary>
    public const string Marker = "[redacted]";

    /// <summary>True when <paramref name="text"/> may hold a credential (a cheap test before the regular expression).</summary>
    public static bool MayContainToken(string? text) =>
        text is not null
        && (text.Contains("access_token", StringComparison.OrdinalIgnoreCase)
            || text.Contains("\"token\"", StringComparison.OrdinalIgnoreCase));

    /// <summary><paramref name="text"/> with every credential value replaced by <see cref="Marker"/>.</summary>
    public static string Redact(string text) =>
        MayContainToken(text) ? JsonTokenPattern().Replace(QueryTokenPattern().Replace(text, Marker), Marker) : text;

    // The value runs to the next query separator, quote, space or end; "%3D" covers a URL that was
    // itself URL-encoded into another one (e.g. a returnUrl).
    [GeneratedRegex(@"(?<=access_token(?:=|%3D))[^&\s""'#<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex QueryTokenPattern();

    [GeneratedRegex(@"(?<=""(?:access_token|token)""\s*:\s*"")(?:[^""\\]|\\.)+(?="")", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JsonTokenPattern();
}
