using System.Text.Encodings.Web;
using System.Text.Json;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// The JSON a push carries to the service worker: <c>{"type","seq","id","title","body","url"}</c>. Its encrypted form
/// (RFC 8291 aes128gcm, one record) must stay under the 4,096 bytes push services accept.
/// </summary>
public static class WebPushMessage
{
    /// <summary>Largest plaintext: 4,096 bytes less the aes128gcm header (86), the tag (16) and the padding delimiter (1).</summary>
    public const int MaxPlaintextBytes = 4096 - 86 - 16 - 1;

    /// <summary>Longest <c>title</c>, in characters.</summary>
    public const int MaxTitleLength = 200;

    /// <summary>Longest <c>body</c>, in characters.</summary>
    public const int MaxBodyLength = 1000;

    /// <summary>Longest <c>url</c>, in characters.</summary>
    public const int MaxUrlLength = 1000;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The message's UTF-8 JSON.</summary>
    public static byte[] Build(string type, long seq, Guid id, WebPushContent content)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteNumber("seq", seq);
            writer.WriteString("id", id);
            writer.WriteString("title", content.Title);
            writer.WriteString("body", content.Body);
            if (content.Url is { } url)
            {
                writer.WriteString("url", url);
            }
            else
            {
                writer.WriteNull("url");
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The size of the largest message a send of this type and content could make (the longest seq).</summary>
    public static int MaxSize(string type, WebPushContent content) => Build(type, long.MaxValue, Guid.Empty, content).Length;
}
