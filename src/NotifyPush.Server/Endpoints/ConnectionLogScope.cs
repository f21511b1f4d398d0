namespace NotifyPush.Server.Endpoints;

/// <summary>The log scope of one connection (socket or event stream): every log line of it carries ConnectionId and UserId.</summary>
internal sealed class ConnectionLogScope : List<KeyValuePair<string, object?>>
{
    public ConnectionLogScope(string connectionId, string userId)
        : base(2)
    {
        Add(new("ConnectionId", connectionId));
        Add(new("UserId", userId));
    }

    public override string ToString() => $"ConnectionId:{this[0].Value} UserId:{this[1].Value}";
}
