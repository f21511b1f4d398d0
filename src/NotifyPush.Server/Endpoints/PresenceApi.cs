using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Presence;
using NotifyPush.Server.Api;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// Presence for services: is a user online, on how many sockets and replicas, and when were they last seen. Part of the
/// <c>/api</c> group, so it takes a service credential and the same rate limit as sending; the credential needs the
/// <c>presence:read</c> scope.
/// </summary>
public static class PresenceApi
{
    /// <summary>Maps <c>GET /api/users/{userId}/presence</c> and <c>POST /api/presence</c> on the service API group.</summary>
    public static RouteGroupBuilder MapPresenceApi(this RouteGroupBuilder api)
    {
        // {userId} is matched here but read by PathUserId from the raw target, as for the other user routes.
        api.MapGet("/users/{userId}/presence", GetAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.PresenceRead))
            .WithName("GetPresence")
            .WithSummary("Whether a user has open sockets anywhere in the cluster, on how many sockets and replicas, and when they were last seen.")
            .WithDescription("Cluster-wide within NotifyPush:Presence:FlushIntervalMilliseconds of a socket opening or closing; a killed replica stops counting within NotifyPush:Presence:TimeoutSeconds. 503 with Retry-After while Redis is unreachable.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        api.MapPost("/presence", GetManyAsync)
            .RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.PresenceRead))
            .WithName("GetPresenceOfMany")
            .WithSummary("The presence of up to 10,000 users in one call.")
            .Accepts<PresenceRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    internal static async Task<Results<Ok<UserPresence>, ProblemHttpResult>> GetAsync(
        HttpContext context,
        IPresenceDirectory presence,
        IOptions<ApiOptions> options)
    {
        if (!PathUserId.TryRead(context, out var userId, out var problem))
        {
            return ApiProblems.BadRequest(problem);
        }

        try
        {
            return TypedResults.Ok((await presence.GetAsync([userId], context.RequestAborted))[0]);
        }
        catch (PresenceUnavailableException)
        {
            return ApiProblems.PresenceUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
        }
    }

    internal static async Task<Results<Ok<PresenceResponse>, ProblemHttpResult>> GetManyAsync(
        HttpContext context,
        IPresenceDirectory presence,
        IOptions<ApiOptions> options)
    {
        if (!context.Request.HasJsonContentType())
        {
            return ApiProblems.UnsupportedMediaType();
        }

        PresenceRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<PresenceRequest>(context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiProblems.BadRequest($"The body is not valid JSON: {ex.Message}");
        }

        if (request?.UserIds is not { Count: > 0 } requested)
        {
            return ApiProblems.BadRequest("userIds must be a non-empty array of user ids.");
        }

        if (requested.Count > PresenceApiLimits.MaxUsers)
        {
            return ApiProblems.BadRequest($"userIds holds {requested.Count} ids; at most {PresenceApiLimits.MaxUsers} are answered in one call.");
        }

        var distinct = new List<string>(requested.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < requested.Count; i++)
        {
            if (UserIds.Validate(requested[i]) is { } error)
            {
                return ApiProblems.BadRequest($"userIds[{i}]: {error}");
            }

            if (seen.Add(requested[i]!))
            {
                distinct.Add(requested[i]!);
            }
        }

        try
        {
            return TypedResults.Ok(new PresenceResponse(await presence.GetAsync(distinct, context.RequestAborted)));
        }
        catch (PresenceUnavailableException)
        {
            return ApiProblems.PresenceUnavailable(context, TimeSpan.FromSeconds(options.Value.UnavailableRetryAfterSeconds));
        }
    }
}
