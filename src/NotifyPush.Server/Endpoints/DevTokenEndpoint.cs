using Microsoft.AspNetCore.Http.HttpResults;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Endpoints;

/// <summary><c>POST /dev/token</c>: mints a Development user token for the demo page and local testing.</summary>
public static class DevTokenEndpoint
{
    /// <summary>Maps <c>POST /dev/token</c> in Development; outside Development it maps nothing, so the route does not exist.</summary>
    public static IEndpointRouteBuilder MapDevTokenEndpoint(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            return app;
        }

        app.MapPost("/dev/token", IssueDevToken)
            .WithName("IssueDevToken")
            .WithSummary("Mints a short-lived Development user token.");
        return app;
    }

    private static Results<Ok<DevToken>, ValidationProblem, ProblemHttpResult> IssueDevToken(DevTokenRequest request, DevTokenIssuer issuer)
    {
        if (!issuer.CanIssue)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Development tokens are unavailable",
                detail: $"They are signed with {JwtOptions.SectionName}:SigningKey; the configured key material cannot sign.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.UserId))
        {
            errors["userId"] = ["The user id is required."];
        }
        else if (request.UserId.Length > DevTokenIssuer.MaxUserIdLength)
        {
            errors["userId"] = [$"The user id must be at most {DevTokenIssuer.MaxUserIdLength} characters."];
        }

        if (request.LifetimeSeconds is <= 0)
        {
            errors["lifetimeSeconds"] = [$"The lifetime must be positive (at most {issuer.MaxLifetimeSeconds} seconds are granted)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(issuer.Issue(request.UserId!, request.LifetimeSeconds));
    }
}
