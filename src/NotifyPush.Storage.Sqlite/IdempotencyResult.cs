using System.Buffers;
using System.Text.Json;
using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Sqlite;

/// <summary>
/// The result an idempotency key remembers, as the JSON text of <c>idempotency_keys.notifications</c>:
/// <c>[{"userId":"u1","id":"…","seq":17}, …]</c>, recipients in request order (the shape the API answers with).
/// </summary>
internal static class IdempotencyResult
{
    /// <summary>One remembered notification: who got it, with which id and seq.</summary>
    public readonly record struct Entry(string UserId, Guid Id, long Seq);

    public static string Format(IReadOnlyList<StoredNotification> notifications)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * notifications.Count + 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var notification in notifications)
            {
                writer.WriteStartObject();
                writer.WriteString("userId", notification.UserId);
                writer.WriteString("id", notification.Id);
                writer.WriteNumber("seq", notification.Seq);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static List<Entry> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var entries = new List<Entry>(document.RootElement.GetArrayLength());
        foreach (var element in document.RootElement.EnumerateArray())
        {
            entries.Add(new Entry(
                element.GetProperty("userId").GetString()!,
                element.GetProperty("id").GetGuid(),
                element.GetProperty("seq").GetInt64()));
        }

        return entries;
    }
}
