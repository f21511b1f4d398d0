using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Api;

/// <summary>The authenticated service behind an API request; idempotency keys and rate limits are scoped to it.</summary>
public sealed record ServiceCaller(string Name)
{
    /// <summary>The caller the <c>ServiceCaller</c> policy admitted (API key name, or <c>jwt:</c> and the client id).</summary>
    public static ServiceCaller Get(HttpContext context) =>
        context.User.FindFirst(NotifyPushClaimTypes.Caller)?.Value is { } name
            ? new ServiceCaller(name)
            : throw new InvalidOperationException("The request was not authenticated as a service.");
}
