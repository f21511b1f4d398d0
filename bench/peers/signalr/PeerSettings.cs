namespace NotifyPush.Peers.SignalR;

/// <summary>The environment the bench starts every peer node with; the same names for every peer.</summary>
internal sealed record PeerSettings(string Listen, string Redis, string ChannelPrefix, string SigningKey, string Issuer, string Audience, string ApiKey)
{
    public static PeerSettings FromEnvironment() => new(
        Get("PEER_LISTEN") ?? "127.0.0.1:0",
        Get("PEER_REDIS") ?? "127.0.0.1:6379",
        Get("PEER_CHANNEL_PREFIX") ?? "signalr",
        Get("PEER_SIGNING_KEY") ?? throw new InvalidOperationException("PEER_SIGNING_KEY is required."),
        Get("PEER_ISSUER") ?? string.Empty,
        Get("PEER_AUDIENCE") ?? string.Empty,
        Get("PEER_API_KEY") ?? throw new InvalidOperationException("PEER_API_KEY is required."));

    private static string? Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
