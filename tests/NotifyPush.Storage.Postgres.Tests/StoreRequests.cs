using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres.Tests;

/// <summary>Builds append requests for tests.</summary>
internal static class StoreRequests
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    public static AppendRequest Append(
        IReadOnlyList<string> userIds,
        string payloadJson = """{"n":1}""",
        string? idempotencyKey = null,
        string requestHash = "hash-1",
        string caller = "billing",
        DateTimeOffset? createdAt = null,
        TimeSpan? ttl = null)
    {
        var created = createdAt ?? Now;
        return new AppendRequest(caller, idempotencyKey, requestHash, userIds, "order.shipped", payloadJson, created, created + (ttl ?? TimeSpan.FromDays(7)));
    }

    public static AppendRequest Append(string userId, string payloadJson = """{"n":1}""") => Append([userId], payloadJson);

    public static string[] Users(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D5}").ToArray();
}
