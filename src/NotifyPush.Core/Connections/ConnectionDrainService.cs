using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Protocol;

namespace NotifyPush.Core.Connections;

/// <summary>
/// Graceful shutdown: before the server stops, refuse new sockets, then close existing ones with 1012 spread
/// evenly over the drain window so thousands of clients do not reconnect elsewhere in the same millisecond.
/// </summary>
/// <remarks>
/// It runs in <see cref="IHostedLifecycleService.StoppingAsync"/>, which the host calls before any hosted
/// service (Kestrel included) stops, so sockets get a clean 1012 instead of the server's abort (1006).
/// </remarks>
public sealed partial class ConnectionDrainService(
    ConnectionRegistry registry,
    DrainState state,
    IOptions<ConnectionOptions> options,
    TimeProvider timeProvider,
    ILogger<ConnectionDrainService> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        state.BeginDraining();
        var connections = registry.GetAllConnections().ToArray();
        Random.Shared.Shuffle(connections);
        var window = TimeSpan.FromSeconds(options.Value.DrainSeconds);
        Log.DrainStarted(logger, connections.Length, window.TotalSeconds);

        var spacing = connections.Length > 1 ? window / connections.Length : TimeSpan.Zero;
        var started = timeProvider.GetTimestamp();
        for (var i = 0; i < connections.Length && !cancellationToken.IsCancellationRequested; i++)
        {
            var due = spacing * i - timeProvider.GetElapsedTime(started);
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            connections[i].RequestClose(CloseCodes.ServiceRestart, "server restarting");
        }

        // Give the sockets their close handshake before the server tears the connections down.
        var deadline = TimeSpan.FromSeconds(options.Value.CloseTimeoutSeconds);
        var waitStarted = timeProvider.GetTimestamp();
        while (registry.ConnectionCount > 0 && timeProvider.GetElapsedTime(waitStarted) < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeProvider, cancellationToken).ConfigureAwait(false);
        }

        Log.DrainCompleted(logger, connections.Length, registry.ConnectionCount);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(NotifyPushEventIds.DrainStarted, LogLevel.Information, "Draining: closing {ConnectionCount} sockets with 1012 over {DrainSeconds} s.")]
        public static partial void DrainStarted(ILogger logger, int connectionCount, double drainSeconds);

        [LoggerMessage(NotifyPushEventIds.DrainCompleted, LogLevel.Information, "Drained {ConnectionCount} sockets; {RemainingCount} still open at shutdown.")]
        public static partial void DrainCompleted(ILogger logger, int connectionCount, int remainingCount);
    }
}
