using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Authenticates a <c>/ws</c> request before the upgrade. The first source present decides, in this
/// order: <c>Authorization: Bearer</c>, the <c>access_token</c> query parameter, the cookie. A later
/// source is not tried when an earlier one fails, so a stale header never falls back to a cookie.
/// A cookie also needs an allowed <c>Origin</c>: browsers attach it to cross-site requests too
/// (cross-site WebSocket hijacking), whereas headers and query strings are set by the page itself.
/// </summary>
public sealed partial class HandshakeAuthenticator
{
    /// <summary>Query parameter that may carry the user token.</summary>
    public const string AccessTokenQueryName = "access_token";

    private readonly IUserTokenValidator _validator;
    private readonly ILogger<HandshakeAuthenticator> _logger;
    private readonly string _cookieName;
    private readonly HashSet<string> _allowedOrigins = new(StringComparer.OrdinalIgnoreCase);

    public HandshakeAuthenticator(IUserTokenValidator validator, IOptions<AuthOptions> options, ILogger<HandshakeAuthenticator> logger)
    {
        _validator = validator;
        _logger = logger;
        _cookieName = options.Value.CookieName;
        foreach (var origin in options.Value.AllowedOrigins)
        {
            if (AllowedOrigin.TryNormalize(origin, out var normalized))
            {
                _allowedOrigins.Add(normalized);
            }
        }
    }

    /// <summary>Finds and validates the user token of a handshake; never throws for bad input and never logs the token.</summary>
    public async ValueTask<HandshakeAuthResult> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await AuthenticateCoreAsync(context).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Log.HandshakeRejected(_logger, result.StatusCode, result.Source, result.Error!);
        }

        return result;
    }

    private async ValueTask<HandshakeAuthResult> AuthenticateCoreAsync(HttpContext context)
    {
        var request = context.Request;
        var cancellationToken = context.RequestAborted;

        switch (AuthorizationHeader.Read(request, out var scheme, out var credential))
        {
            case AuthorizationHeaderState.Present when scheme.Equals(AuthorizationHeader.BearerScheme, StringComparison.OrdinalIgnoreCase):
                return await ValidateAsync(credential, CredentialSource.AuthorizationHeader, cancellationToken).ConfigureAwait(false);
            case AuthorizationHeaderState.Present when scheme.Equals(AuthorizationHeader.ApiKeyScheme, StringComparison.OrdinalIgnoreCase):
                return HandshakeAuthResult.Unauthorized("service credentials cannot open a socket", CredentialSource.AuthorizationHeader);
            case AuthorizationHeaderState.Present:
                return HandshakeAuthResult.Unauthorized("unsupported authorization scheme", CredentialSource.AuthorizationHeader);
            case AuthorizationHeaderState.Malformed:
                return HandshakeAuthResult.Unauthorized("authorization header is malformed", CredentialSource.AuthorizationHeader);
        }

        var query = request.Query[AccessTokenQueryName];
        if (query.Count > 1)
        {
            return HandshakeAuthResult.Unauthorized("several access_token values", CredentialSource.QueryString);
        }

        if (!string.IsNullOrEmpty(query.ToString()))
        {
            return await ValidateAsync(query.ToString(), CredentialSource.QueryString, cancellationToken).ConfigureAwait(false);
        }

        if (request.Cookies.TryGetValue(_cookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            var result = await ValidateAsync(cookie, CredentialSource.Cookie, cancellationToken).ConfigureAwait(false);
            return result.Succeeded ? CheckOrigin(request, result) : result;
        }

        return HandshakeAuthResult.Unauthorized("no credential", CredentialSource.None);
    }

    private async ValueTask<HandshakeAuthResult> ValidateAsync(string token, CredentialSource source, CancellationToken cancellationToken)
    {
        var validation = await _validator.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        return validation.Succeeded
            ? HandshakeAuthResult.Success(validation.UserId!, validation.ExpiresAt!.Value, source)
            : HandshakeAuthResult.Unauthorized(validation.Error ?? "token is invalid", source);
    }

    private HandshakeAuthResult CheckOrigin(HttpRequest request, HandshakeAuthResult authenticated)
    {
        var origins = request.Headers[HeaderNames.Origin];
        if (origins.Count == 0 || string.IsNullOrEmpty(origins[0]))
        {
            return HandshakeAuthResult.Forbidden("a cookie credential needs an Origin header", CredentialSource.Cookie);
        }

        var origin = origins[0]!;
        if (origins.Count == 1
            && AllowedOrigin.TryNormalize(origin, out var normalized)
            && _allowedOrigins.Contains(normalized))
        {
            return authenticated;
        }

        Log.HandshakeOriginRejected(_logger, origin.Length > 256 ? origin[..256] : origin);
        return HandshakeAuthResult.Forbidden("origin is not allowed", CredentialSource.Cookie);
    }
}
