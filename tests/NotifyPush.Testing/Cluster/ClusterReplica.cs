using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace NotifyPush.Testing;

/// <summary>One NotifyPush replica of a <see cref="TestCluster"/>, in this process or in a child process.</summary>
public abstract class ClusterReplica : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private HttpClient? _api;
    private HttpMessageInvoker? _apiInvoker;

    protected ClusterReplica(string name)
    {
        Name = name;
    }

    /// <summary>A short name for reports, e.g. <c>r1</c> or <c>p3</c>.</summary>
    public string Name { get; }

    /// <summary>The replica's address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public abstract Uri BaseAddress { get; }

    /// <summary>
    /// Whether clients and senders pick this replica, as a load balancer's pool would. A test takes a replica out
    /// before it stops it; clients that still reach it must cope (503 while draining, refused when gone).
    /// </summary>
    public bool InRotation { get; set; } = true;

    /// <summary>An HTTP client of the service API (API key), over real sockets, shared by all senders of this replica.</summary>
    public HttpClient Api => _api ?? throw new InvalidOperationException("The replica has not started.");

    /// <summary>
    /// The same connection pool as <see cref="Api"/> without its default headers, for a handler that routes requests
    /// of another client (a load balancer in front of the replicas) to this replica.
    /// </summary>
    public HttpMessageInvoker ApiInvoker => _apiInvoker ?? throw new InvalidOperationException("The replica has not started.");

    /// <summary>The socket endpoint for a user, with a fresh token and an optional resume point.</summary>
    public Uri SocketUriFor(string userId, long? since = null) =>
        SocketUri(NotifyPushTestServer.UserToken(userId), since);

    /// <summary>The socket endpoint with the given token and an optional resume point.</summary>
    public Uri SocketUri(string token, long? since)
    {
        var query = $"access_token={token}" + (since is { } seq ? $"&since={seq}" : string.Empty);
        return new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/ws", Query = query }.Uri;
    }

    /// <summary>GET /readyz: the status code and the report.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Report)> ReadyAsync()
    {
        using var response = await Api.GetAsync("/readyz");
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return (response.StatusCode, document.RootElement.Clone());
    }

    public abstract ValueTask DisposeAsync();

    protected void CreateApiClient()
    {
        // Each replica gets its own pool so that killing one never leaves dead connections in another's client.
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        _api = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = RequestTimeout };
        _apiInvoker = new HttpMessageInvoker(handler, disposeHandler: false);
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", NotifyPushTestServer.ApiKey);
    }

    protected void DisposeApiClient() => _api?.Dispose();

    public override string ToString() => $"{Name} ({BaseAddress})";
}
