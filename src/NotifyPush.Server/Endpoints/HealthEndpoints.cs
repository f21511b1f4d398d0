using Microsoft.AspNetCore.Http.HttpResults;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Hosting;

namespace NotifyPush.Server.Endpoints;

/// <summary>Liveness (<c>/healthz</c>) and readiness (<c>/readyz</c>) for load balancers and orchestrators.</summary>
public static class HealthEndpoints
{
    private static readonly TimeSpan StoreProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "alive" }));
        app.MapGet("/readyz", ReadyAsync);
        return app;
    }

    /// <summary>
    /// Ready when the start-up warm-up is done (<see cref="StartupWarmUp"/>), not draining and the store answers. A lost backplane does not make the replica unready (sends
    /// still commit and sockets still get everything from the store, later); it is reported with its duration. A
    /// backplane whose credentials Redis refused does: that is a wrong setting, not an outage.
    /// </summary>
    internal static async Task<JsonHttpResult<ReadinessReport>> ReadyAsync(
        INotificationStore store,
        INotificationBackplane backplane,
        DrainState replica,
        ConnectionRegistry registry,
        StartupWarmUp warmUp,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        string storeStatus;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StoreProbeTimeout);
            await store.PingAsync(timeout.Token);
            storeStatus = "ok";
        }
        catch (Exception ex) when (ex is StoreUnavailableException or OperationCanceledException)
        {
            storeStatus = "unavailable";
        }

        var health = backplane.GetHealth();
        double? disconnectedSeconds = health.DisconnectedSince is { } since ? Math.Round((timeProvider.GetUtcNow() - since).TotalSeconds, 1) : null;
        // A lost backplane is an outage that passes; refused credentials are a configuration error that does not.
        var warmingUp = !warmUp.IsDone;
        var ready = storeStatus == "ok" && !replica.IsDraining && !health.CredentialsRefused && !warmingUp;
        var report = new ReadinessReport(
            ready ? "ready" : "not ready",
            warmingUp,
            replica.IsDraining,
            storeStatus,
            // Not health.Description: that names the Redis endpoint and the last error, which this unauthenticated
            // answer must not tell anyone who can reach the port. The admin view (behind its scope) shows it.
            new BackplaneReport(health.IsConnected, disconnectedSeconds, BackplaneState(health)),
            registry.ConnectionCount);
        return TypedResults.Json(report, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    internal sealed record ReadinessReport(string Status, bool WarmingUp, bool Draining, string Store, BackplaneReport Backplane, int Connections);

    private static string BackplaneState(BackplaneHealth health) =>
        health.IsConnected ? "connected" : health.CredentialsRefused ? "credentials refused" : "disconnected";

    // State: "connected", "disconnected" or "credentials refused", nothing more.
    internal sealed record BackplaneReport(bool Connected, double? DisconnectedForSeconds, string State);
}
