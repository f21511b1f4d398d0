using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace NotifyPush.Peers.SignalR;

/// <summary>The one hub: clients only listen. <c>synced</c> tells a client its user's Redis subscription is in place.</summary>
[Authorize]
internal sealed class NotificationHub(ConnectionCount count) : Hub
{
    public const string Path = "/hubs/notifications";

    /// <remarks>
    /// SignalR runs the lifetime manager's OnConnectedAsync (the Redis backplane subscribes to the user's channel
    /// there and awaits it) before the hub's, so a notification published after the client saw <c>synced</c> reaches it.
    /// </remarks>
    public override Task OnConnectedAsync()
    {
        count.Increment();
        return Clients.Caller.SendAsync("synced");
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        count.Decrement();
        return Task.CompletedTask;
    }
}

/// <summary>Users are the token's <c>sub</c>, as in NotifyPush (SignalR's default is the name identifier claim).</summary>
internal sealed class SubjectUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst("sub")?.Value;
}

/// <summary>Open hub connections of this node, for <c>/readyz</c>.</summary>
internal sealed class ConnectionCount
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);
}
