using System.Text.Json;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.WebPush;

/// <summary>Reads a send's <c>webPush</c> member (<c>{"title","body","url"}</c>), naming the field of each problem.</summary>
public static class WebPushContentReader
{
    /// <summary>The content, or null after reporting each problem to <paramref name="add"/> (field, message).</summary>
    public static WebPushContent? Read(JsonElement value, string? type, bool enabled, Action<string, string> add)
    {
        if (!enabled)
        {
            add("webPush", $"Web Push is not enabled on this server ({WebPushOptions.SectionName}:Subject, PublicKey and PrivateKey are not set).");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            add("webPush", "webPush must be an object: {\"title\",\"body\",\"url\"}.");
            return null;
        }

        string? title = null, body = null, url = null;
        var valid = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                add($"webPush.{property.Name}", $"webPush holds '{property.Name}' more than once.");
                valid = false;
                continue;
            }

            switch (property.Name)
            {
                case "title":
                    title = ReadText(property.Value, "webPush.title", WebPushMessage.MaxTitleLength, required: true, add, ref valid);
                    break;
                case "body":
                    body = ReadText(property.Value, "webPush.body", WebPushMessage.MaxBodyLength, required: false, add, ref valid);
                    break;
                case "url":
                    url = ReadUrl(property.Value, add, ref valid);
                    break;
                default:
                    add($"webPush.{property.Name}", $"Unknown field '{property.Name}'. Known fields: title, body, url.");
                    valid = false;
                    break;
            }
        }

        if (title is null && !seen.Contains("title"))
        {
            add("webPush.title", "webPush.title is required.");
            valid = false;
        }

        if (!valid || title is null)
        {
            return null;
        }

        var content = new WebPushContent(title, body ?? string.Empty, url);
        var size = WebPushMessage.MaxSize(type ?? string.Empty, content);
        if (size > WebPushMessage.MaxPlaintextBytes)
        {
            add("webPush", $"webPush makes a push message of {size} bytes; with type, title, body and url it must stay within {WebPushMessage.MaxPlaintextBytes} bytes of UTF-8 JSON so that the encrypted push stays under 4 KB.");
            return null;
        }

        return content;
    }

    private static string? ReadText(JsonElement value, string field, int maxLength, bool required, Action<string, string> add, ref bool valid)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (text is null || (required && string.IsNullOrWhiteSpace(text)))
        {
            add(field, required ? $"{field} must be a non-empty string." : $"{field} must be a string.");
            valid = false;
            return null;
        }

        if (text.Length > maxLength)
        {
            add(field, $"{field} must be at most {maxLength} characters.");
            valid = false;
            return null;
        }

        return text;
    }

    private static string? ReadUrl(JsonElement value, Action<string, string> add, ref bool valid)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var url = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (url is null || url.Length == 0 || url.Length > WebPushMessage.MaxUrlLength)
        {
            add("webPush.url", $"webPush.url must be a string of 1 to {WebPushMessage.MaxUrlLength} characters.");
            valid = false;
            return null;
        }

        // A path of the page's own origin ("/orders/42", not "//host" which is another host), or an https URL: never
        // javascript:, data: or plain http.
        var isPath = url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
        var isHttps = Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme == Uri.UriSchemeHttps;
        if ((!isPath && !isHttps) || url.Any(char.IsControl))
        {
            add("webPush.url", "webPush.url must be an https URL or a path starting with a single '/'.");
            valid = false;
            return null;
        }

        return url;
    }
}
