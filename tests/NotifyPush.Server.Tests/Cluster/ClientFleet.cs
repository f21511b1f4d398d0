using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>Several <see cref="ResumingClient"/>s per user, and the faults a test injects into their sockets.</summary>
public sealed class ClientFleet : IAsyncDisposable
{
    private readonly List<ResumingClient> _clients = [];

    /// <summary>Starts <paramref name="clientsPerUser"/> logical clients for each user, each on a random replica.</summary>
    public ClientFleet(TestCluster cluster, IReadOnlyList<string> users, int clientsPerUser, int seed)
    {
        var index = 0;
        foreach (var user in users)
        {
            for (var i = 0; i < clientsPerUser; i++)
            {
                _clients.Add(new ResumingClient(cluster, user, seed + 7919 * ++index));
            }
        }
    }

    public IReadOnlyList<ResumingClient> Clients => _clients;

    /// <summary>Sockets the test cut or closed on purpose, over all clients.</summary>
    public int Disruptions => _clients.Sum(c => c.Disruptions);

    /// <summary>Waits until every client holds an open socket.</summary>
    public Task WaitUntilConnectedAsync(TimeSpan timeout) =>
        ServiceApi.EventuallyAsync(() => Task.FromResult(_clients.All(c => c.CurrentReplica is not null)), "every client is connected", timeout);

    /// <summary>
    /// Until <paramref name="stop"/>: every <paramref name="interval"/>, one random client's socket is cut (as by a
    /// network blip) or closed (as by a closing tab), half and half; the client reconnects to a random replica.
    /// </summary>
    public async Task DisruptRandomlyAsync(Random random, TimeSpan interval, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _clients[random.Next(_clients.Count)].Disrupt(abort: random.Next(2) == 0);
            try
            {
                // The fault rate, not a wait for something.
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Waits until every client received its user's last seq as the store holds it now.</summary>
    public async Task WaitUntilCaughtUpAsync(TestCluster cluster, TimeSpan timeout)
    {
        var streams = await cluster.ReadStreamsAsync();
        long Expected(ResumingClient c) => streams.TryGetValue(c.UserId, out var stream) ? stream.LastSeq : 0;
        try
        {
            await ServiceApi.EventuallyAsync(() => Task.FromResult(_clients.All(c => c.LastSeq >= Expected(c))), "every client caught up with the store", timeout);
        }
        catch (TimeoutException ex)
        {
            var behind = _clients.Where(c => c.LastSeq < Expected(c)).Take(5)
                .Select(c => $"{c.UserId} at {c.LastSeq} of {Expected(c)} on {c.CurrentReplica?.Name ?? "no socket"}");
            throw new TimeoutException($"{ex.Message} Behind: {string.Join("; ", behind)}", ex);
        }
    }

    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(_clients.Select(c => c.DisposeAsync().AsTask()));
}
