namespace NotifyPush.Server.Admin;

/// <summary>The answer of <c>GET /api/admin/users/{userId}</c>: how the user is reached.</summary>
/// <param name="UserId">The user.</param>
/// <param name="WebSockets">The user's WebSocket connections on the replica that answered.</param>
/// <param name="EventStreams">The user's Server-Sent Events streams on the replica that answered (the cluster-wide total of both is the presence's <c>sockets</c>).</param>
/// <param name="PushSubscriptions">The user's Web Push subscriptions, oldest first: the push service's host and when it was saved (never the endpoint's path or keys).</param>
public sealed record AdminUserResponse(string UserId, int WebSockets, int EventStreams, IReadOnlyList<AdminPushSubscription> PushSubscriptions);
