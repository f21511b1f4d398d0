using System.Collections.Concurrent;
using System.Globalization;

namespace NotifyPush.Server.Tests.Cluster;

/// <summary>
/// A load balancer without sticky sessions in front of a <see cref="TestCluster"/>, as an HTTP handler: every request
/// (every attempt of a retried send) goes to a random replica in rotation, over that replica's own connection pool.
/// Counts the attempts that failed in <paramref name="failures"/>, by kind (<c>503</c>, <c>HttpRequestException</c>, …).
/// </summary>
public sealed class ReplicaRoutingHandler(TestCluster cluster, int seed, ConcurrentDictionary<string, int> failures) : HttpMessageHandler
{
    private readonly Random _random = new(seed);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ClusterReplica replica;
        lock (_random)
        {
            replica = cluster.PickReplica(_random);
        }

        request.RequestUri = new Uri(replica.BaseAddress, request.RequestUri!.PathAndQuery);
        try
        {
            var response = await replica.ApiInvoker.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode >= 500)
            {
                Count(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }

            return response;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // The replica went away mid-request, or never answered: the publisher retries elsewhere with the same key.
            Count(ex.GetType().Name);
            throw;
        }
    }

    private void Count(string failure) => failures.AddOrUpdate(failure, 1, (_, count) => count + 1);
}
