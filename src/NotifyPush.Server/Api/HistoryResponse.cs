using System.Text.Json;

namespace NotifyPush.Server.Api;

/// <summary>A page of one user's stream with its delivery state.</summary>
public sealed record HistoryResponse(string UserId, long LastSeq, long AckedSeq, long PrunedSeq, IReadOnlyList<HistoryItem> Notifications);

/// <summary>One notification of the history; <c>Delivered</c> is true once the user acknowledged it.</summary>
public sealed record HistoryItem(long Seq, Guid Id, string Type, JsonElement Payload, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Delivered);
