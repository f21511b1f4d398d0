using Microsoft.Extensions.Hosting;

namespace NotifyPush.Core.Connections;

/// <summary>
/// One timer for every socket of the replica: sends pings, closes sockets whose pong is overdue, warns about
/// and enforces credential expiry. Cheaper than a timer per socket at tens of thousands of sockets.
/// </summary>
public sealed class HeartbeatService(ConnectionRegistry registry, TimeProvider timeProvider) : BackgroundService
{
    /// <summary>Resolution of every socket timer.</summary>
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = timeProvider.GetUtcNow();
                foreach (var connection in registry.GetAllConnections())
                {
                    connection.OnHeartbeat(now);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
