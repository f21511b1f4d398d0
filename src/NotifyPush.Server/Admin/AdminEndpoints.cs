using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Presence;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Api;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Endpoints;

namespace NotifyPush.Server.Admin;

/// <summary>
/// <c>/admin</c>: plain HTML and JavaScript served from the assembly, no build step. The page asks the operator for a
/// service API key (kept in the tab's sessionStorage) and reads everything through the service API with it: the
/// replicas (<c>GET /api/admin/replicas</c>, scope <c>admin</c>), a user's presence and history, and the sign-out (each
/// with its own route's scope).
/// </summary>
public static class AdminEndpoints
{
    private const string ResourcePrefix = "NotifyPush.Server.Admin.";

    /// <summary>Maps the page and its data route when <c>NotifyPush:Admin:Enabled</c> is true.</summary>
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value.Enabled)
        {
            return app;
        }

        var page = EmbeddedAsset.Load(ResourcePrefix + "admin.html", "text/html; charset=utf-8");
        var script = EmbeddedAsset.Load(ResourcePrefix + "admin.js", "text/javascript; charset=utf-8");
        var style = EmbeddedAsset.Load(ResourcePrefix + "admin.css", "text/css; charset=utf-8");
        app.MapMethods("/admin", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, page)).ExcludeFromDescription();
        app.MapMethods("/admin/admin.js", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, script)).ExcludeFromDescription();
        app.MapMethods("/admin/admin.css", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, style)).ExcludeFromDescription();

        api.MapGet("/admin/replicas", GetReplicasAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.Admin))
            .WithName("GetReplicas")
            .WithSummary("The live replicas: sockets, users, backplane and store state, version, uptime and send/delivery totals (for the admin view).");
        api.MapGet("/admin/users/{userId}", GetUserAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.Admin))
            .WithName("GetAdminUser")
            .WithSummary("How a user is reached: WebSockets and event streams on the answering replica, and Web Push subscriptions (push-service host, created).");
        return app;
    }

    internal static async Task<Ok<AdminReplicasResponse>> GetReplicasAsync(IPresenceDirectory presence, ReplicaReporter status, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(new AdminReplicasResponse(await presence.GetReplicasAsync(cancellationToken), Complete: true));
        }
        catch (PresenceUnavailableException)
        {
            // The other replicas are out of reach, not this one: the operator sees it, with its backplane down.
            return TypedResults.Ok(new AdminReplicasResponse([await status.SnapshotAsync(cancellationToken)], Complete: false));
        }
    }

    internal static async Task<Results<Ok<AdminUserResponse>, ProblemHttpResult>> GetUserAsync(
        HttpContext context, ConnectionRegistry registry, IWebPushStore webPush, IOptions<ApiOptions> options)
    {
        // "/api/admin/users/{userId}": the id is segment 4.
        if (!PathUserId.TryRead(context, 4, out var userId, out var problem))
        {
            return ApiProblems.BadRequest(problem);
        }

        var (webSockets, eventStreams) = (0, 0);
        foreach (var connection in registry.GetConnections(userId))
        {
            if (string.Equals(connection.Transport, WebSocketTransport.TransportName, StringComparison.Ordinal))
            {
                webSockets++;
            }
            else
            {
                eventStreams++;
            }
        }

        IReadOnlyList<PushSubscriptionRecord> subscriptions;
        try
        {
            subscriptions = await webPush.GetPushSubscriptionsAsync(userId, context.RequestAborted);
        }
        catch (StoreUnavailableException)
        {
            return ApiProblems.StoreUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
        }

        // The host only: an endpoint's path is the capability to push to that browser.
        var shown = subscriptions
            .Select(static s => new AdminPushSubscription(Uri.TryCreate(s.Endpoint, UriKind.Absolute, out var uri) ? uri.Host : "?", s.CreatedAt))
            .ToList();
        return TypedResults.Ok(new AdminUserResponse(userId, webSockets, eventStreams, shown));
    }

    private static FileContentHttpResult Serve(HttpContext context, EmbeddedAsset asset)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers[HeaderNames.ContentSecurityPolicy] = "default-src 'self'; connect-src 'self'; frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
