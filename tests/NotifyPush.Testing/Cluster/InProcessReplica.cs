
namespace NotifyPush.Testing;

/// <summary>A replica running in the test process on Kestrel (a <see cref="NotifyPushTestServer"/>); its logs and services are visible.</summary>
public sealed class InProcessReplica : ClusterReplica
{
    private int _stopped;

    private InProcessReplica(string name, NotifyPushTestServer server, TcpForwarder? postgresForwarder)
        : base(name)
    {
        Server = server;
        PostgresForwarder = postgresForwarder;
        CreateApiClient();
    }

    public NotifyPushTestServer Server { get; }

    /// <summary>The port this replica reaches Postgres through, when the cluster was asked for one; stop it to cut the store off.</summary>
    public TcpForwarder? PostgresForwarder { get; }

    public override Uri BaseAddress => Server.BaseAddress;

    internal static async Task<InProcessReplica> StartAsync(string name, IDictionary<string, string?> settings, TcpForwarder? postgresForwarder)
    {
        // StartServer blocks until Kestrel listens; off the test's thread so replicas start side by side.
        var server = await Task.Run(() => new NotifyPushTestServer(settings)).WaitAsync(TimeSpan.FromSeconds(60));
        return new InProcessReplica(name, server, postgresForwarder);
    }

    /// <summary>
    /// Stops the replica as an orchestrator would (SIGTERM): the host drains its sockets with 1012 over
    /// <c>DrainSeconds</c>, then Kestrel stops. Returns when the host has stopped.
    /// </summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        InRotation = false;
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await Server.DisposeAsync().AsTask().WaitAsync(timeout);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        InRotation = false;
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await Server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        }

        if (PostgresForwarder is not null)
        {
            await PostgresForwarder.DisposeAsync();
        }

        DisposeApiClient();
    }
}
