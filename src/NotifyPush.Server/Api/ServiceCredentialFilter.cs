using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Api;

/// <summary>Guards the service API: a service credential (never a user token), then the caller's rate limit.</summary>
public sealed class ServiceCredentialFilter(ServiceAuthenticator authenticator, ServiceRateLimiter rateLimiter) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var result = await authenticator.AuthenticateAsync(http);
        if (result.Status == ServiceAuthStatus.Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = "ApiKey, Bearer";
            return ApiProblems.Unauthorized(result.Error ?? "A service credential is required.");
        }

        if (result.Status == ServiceAuthStatus.Forbidden)
        {
            return ApiProblems.Forbidden(result.Error ?? "This credential may not call the service API.");
        }

        if (!rateLimiter.TryAcquire(result.CallerName!, out var retryAfter))
        {
            return ApiProblems.RateLimited(http, retryAfter);
        }

        new ServiceCaller(result.CallerName!).Set(http);
        return await next(context);
    }
}
