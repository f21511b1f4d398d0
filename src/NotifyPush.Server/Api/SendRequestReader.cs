using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Storage;
using NotifyPush.Server.WebPush;

namespace NotifyPush.Server.Api;

/// <summary>Parses and validates a send request body, collecting every problem so the caller can fix them at once.</summary>
public static class SendRequestReader
{
    /// <summary>The outcome of reading a body: a request, or errors per field, or a payload over the limit.</summary>
    public readonly record struct Result(SendRequest? Request, Dictionary<string, string[]> Errors, bool PayloadTooLarge);

    /// <param name="root">The body.</param>
    /// <param name="options">The API's limits.</param>
    /// <param name="webPushEnabled">Whether a <c>webPush</c> member can be honoured (<see cref="WebPushOptions.Enabled"/>).</param>
    public static Result Read(JsonElement root, ApiOptions options, bool webPushEnabled = false)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return new Result(null, new Dictionary<string, string[]> { ["$"] = ["The body must be a JSON object."] }, false);
        }

        string? userId = null;
        List<string>? userIds = null;
        string? type = null;
        string payload = "null";
        var ttl = options.DefaultTtlSeconds;
        var payloadTooLarge = false;
        bool sawUserId = false, sawUserIds = false;
        JsonElement? webPushValue = null;

        // JSON leaves duplicate names undefined (RFC 8259 §4) and parsers differ (first wins, last wins, error): a body
        // that names a recipient twice could mean one user to a checking proxy and another to us. Inside the payload
        // names are the application's business and are kept as sent.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                Add(property.Name, $"The body holds '{property.Name}' more than once.");
                continue;
            }

            switch (property.Name)
            {
                case "userId":
                    sawUserId = true;
                    userId = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    if (userId is null)
                    {
                        Add("userId", "userId must be a string.");
                    }
                    else if (UserIds.Validate(userId) is { } problem)
                    {
                        Add("userId", problem);
                    }

                    break;
                case "userIds":
                    sawUserIds = true;
                    userIds = ReadUserIds(property.Value, options, Add);
                    break;
                case "type":
                    type = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                    if (string.IsNullOrWhiteSpace(type))
                    {
                        Add("type", "type must be a non-empty string.");
                    }
                    else if (type.Length > options.MaxTypeLength)
                    {
                        Add("type", $"type must be at most {options.MaxTypeLength} characters.");
                    }
                    else if (type.Any(char.IsControl))
                    {
                        Add("type", "type must not contain control characters.");
                    }

                    break;
                case "payload":
                    payload = Compact(property.Value);
                    if (Encoding.UTF8.GetByteCount(payload) > options.MaxPayloadBytes)
                    {
                        payloadTooLarge = true;
                    }

                    break;
                case "ttlSeconds":
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out ttl) || ttl < 1 || ttl > options.MaxTtlSeconds)
                    {
                        Add("ttlSeconds", $"ttlSeconds must be an integer from 1 to {options.MaxTtlSeconds}.");
                    }

                    break;
                case "webPush":
                    // Read after the loop: its size limit counts the type, which may come later in the body.
                    webPushValue = property.Value;
                    break;
                default:
                    Add(property.Name, $"Unknown field '{property.Name}'. Known fields: userId, userIds, type, payload, ttlSeconds, webPush.");
                    break;
            }
        }

        if (sawUserId == sawUserIds)
        {
            Add("userId", "Give exactly one of userId or userIds.");
        }

        if (type is null && !errors.ContainsKey("type"))
        {
            Add("type", "type is required.");
        }

        WebPushContent? webPush = null;
        if (webPushValue is { } pushValue)
        {
            webPush = WebPushContentReader.Read(pushValue, type, webPushEnabled, Add);
        }

        if (errors.Count > 0)
        {
            return new Result(null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), false);
        }

        if (payloadTooLarge)
        {
            return new Result(null, [], true);
        }

        IReadOnlyList<string> recipients = userIds ?? [userId!];
        return new Result(new SendRequest(recipients, type!, payload, ttl, webPush), [], false);
    }

    /// <summary>A hash of everything that makes two requests the same send; the key of idempotent retries.</summary>
    public static string Hash(SendRequest request)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Append(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        Append(request.Type);
        Append(request.TtlSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Append(request.PayloadJson);
        hash.AppendData(BitConverter.GetBytes(request.UserIds.Count));
        foreach (var userId in request.UserIds)
        {
            Append(userId);
        }

        // Appended only when present, so a request without webPush hashes as it did before webPush existed.
        if (request.WebPush is { } push)
        {
            Append("webPush");
            Append(push.Title);
            Append(push.Body);
            Append(push.Url is null ? "0" : "1" + push.Url);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static List<string>? ReadUserIds(JsonElement value, ApiOptions options, Action<string, string> add)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            add("userIds", "userIds must be an array of strings.");
            return null;
        }

        var count = value.GetArrayLength();
        if (count == 0 || count > options.MaxFanOut)
        {
            add("userIds", $"userIds must hold 1 to {options.MaxFanOut} user ids.");
            return null;
        }

        var result = new List<string>(count);
        var seen = new HashSet<string>(count, StringComparer.Ordinal);
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var id = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (id is null)
            {
                add($"userIds[{index}]", "Each user id must be a string.");
            }
            else if (UserIds.Validate(id) is { } problem)
            {
                add($"userIds[{index}]", problem);
            }
            else if (!seen.Add(id))
            {
                // One notification per user: a duplicate would be a second notification, which the sender did not mean.
                add($"userIds[{index}]", $"Duplicate user id '{id}'.");
            }
            else
            {
                result.Add(id);
            }

            index++;
        }

        return result;
    }

    private static string Compact(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
