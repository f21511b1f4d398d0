using NotifyPush.Core.Presence;

namespace NotifyPush.Server.Admin;

/// <summary>The answer of <c>GET /api/admin/replicas</c>.</summary>
/// <param name="Replicas">The answering replica first, then every other live one as of its last heartbeat.</param>
/// <param name="Complete">False when only the answering replica could be read (Redis is down).</param>
public sealed record AdminReplicasResponse(IReadOnlyList<ReplicaReport> Replicas, bool Complete);
