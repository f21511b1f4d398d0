namespace NotifyPush.Core.Storage;

/// <summary>A cumulative acknowledgement: everything of <paramref name="UserId"/> up to <paramref name="Seq"/> is delivered.</summary>
public readonly record struct StreamAck(string UserId, long Seq);
