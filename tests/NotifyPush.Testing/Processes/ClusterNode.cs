namespace NotifyPush.Testing;

/// <summary>One line of <c>CLUSTER NODES</c>.</summary>
public sealed record ClusterNode(string Id, int Port, bool IsMaster, bool Failed, string? MasterId);
