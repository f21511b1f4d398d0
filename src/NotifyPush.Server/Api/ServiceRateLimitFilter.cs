using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Api;

/// <summary>
/// Runs after the <c>ServiceCaller</c> policy admitted a service: applies the caller's rate limit and makes the
/// caller available to the endpoint as <see cref="ServiceCaller"/>.
/// </summary>
public sealed class ServiceRateLimitFilter(ServiceRateLimiter rateLimiter, NotifyPushMetrics metrics) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = ServiceCaller.Get(http);
        var (allowed, retryAfter) = await rateLimiter.TryAcquireAsync(caller.Name, http.RequestAborted);
        if (!allowed)
        {
            metrics.RateLimited();
            return ApiProblems.RateLimited(http, retryAfter);
        }

        return await next(context);
    }
}
