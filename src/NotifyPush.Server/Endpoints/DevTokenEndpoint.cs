using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using NotifyPush.Core.Connections;
using NotifyPush.Server.Api;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// Development only: <c>POST /dev/token</c> mints a user token for the demo page and local testing, and <c>POST /dev/send</c>
/// sends as the Development service for the demo page's form.
/// </summary>
public static class DevTokenEndpoint
{
    /// <summary>The caller name of <c>POST /dev/send</c>; idempotency keys are scoped to it.</summary>
    public const string DevelopmentSender = "development-demo-page";

    /// <summary>Maps <c>POST /dev/token</c> in Development; outside Development it maps nothing, so the route does not exist.</summary>
    public static IEndpointRouteBuilder MapDevTokenEndpoint(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            return app;
        }

        app.MapPost("/dev/token", IssueDevTokenAsync)
            .Accepts<DevTokenRequest>("application/json")
            .WithName("IssueDevToken")
            .WithSummary("Mints a short-lived Development user token.");

        // The demo page's send form: the same send as POST /api/notifications, as the Development service, so the
        // page never holds a service key. Development only, like the page.
        app.MapPost("/dev/send", static (HttpContext context, [FromServices] NotificationSender sender) => sender.SendAsync(context, DevelopmentSender))
            .WithName("DevSend")
            .WithSummary("Development only: sends a notification as the Development service (the demo page's form).");
        return app;
    }

    private static async Task<Results<Ok<DevToken>, ValidationProblem, ProblemHttpResult>> IssueDevTokenAsync(HttpContext context, DevTokenIssuer issuer)
    {
        if (!context.Request.HasJsonContentType())
        {
            return ApiProblems.UnsupportedMediaType();
        }

        // Read by hand, not bound: the binder reads a lone surrogate escape ("\ud800") into a string and fails with a 500.
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        DevTokenRequest? request;
        try
        {
            if (JsonEscapes.HasLoneSurrogate(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                return ApiProblems.BadRequest(JsonEscapes.LoneSurrogateProblem);
            }

            request = JsonSerializer.Deserialize<DevTokenRequest>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), JsonSerializerOptions.Web);
        }
        catch (JsonException ex)
        {
            return ApiProblems.BadRequest($"The body is not valid JSON: {ex.Message}");
        }

        if (request is null)
        {
            return ApiProblems.BadRequest("The body must be a JSON object.");
        }

        if (!issuer.CanIssue)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status409Conflict,
                title: "Development tokens are unavailable",
                detail: $"They are signed with {JwtOptions.SectionName}:SigningKey; the configured key material cannot sign.");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (UserIds.Validate(request.UserId) is { } problem)
        {
            errors["userId"] = [problem];
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
