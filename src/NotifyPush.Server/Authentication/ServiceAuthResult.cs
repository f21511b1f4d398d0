using Microsoft.AspNetCore.Http;

namespace NotifyPush.Server.Authentication;

/// <summary>The outcome of <see cref="ServiceAuthenticator.AuthenticateAsync"/>.</summary>
/// <param name="Status">Succeeded, Unauthorized (401) or Forbidden (403).</param>
/// <param name="CallerName">Who is calling (set when succeeded): an API key's name, or <c>jwt:</c> + client id. Scopes idempotency keys.</param>
/// <param name="Error">Why it failed, safe to return as problem details and to log (never contains the credential).</param>
public readonly record struct ServiceAuthResult(ServiceAuthStatus Status, string? CallerName, string? Error)
{
    public bool Succeeded => Status == ServiceAuthStatus.Succeeded;

    /// <summary>The HTTP status to answer a refused call with: 200, 401 or 403.</summary>
    public int StatusCode => Status switch
    {
        ServiceAuthStatus.Succeeded => StatusCodes.Status200OK,
        ServiceAuthStatus.Forbidden => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status401Unauthorized,
    };

    public static ServiceAuthResult Success(string callerName) => new(ServiceAuthStatus.Succeeded, callerName, null);

    public static ServiceAuthResult Unauthorized(string error) => new(ServiceAuthStatus.Unauthorized, null, error);

    public static ServiceAuthResult Forbidden(string error) => new(ServiceAuthStatus.Forbidden, null, error);
}
