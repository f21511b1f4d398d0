using System.IdentityModel.Tokens.Jwt;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Authenticates callers of the service API: <c>Authorization: ApiKey &lt;key&gt;</c> against the
/// configured SHA-256 hashes, or <c>Authorization: Bearer &lt;jwt&gt;</c> with the service audience and
/// the required scope. A valid user token is recognised and refused with 403, never accepted.
/// </summary>
public sealed partial class ServiceAuthenticator
{
    /// <summary>Prefix of the caller name of a service JWT, so it can never equal an API key name.</summary>
    public const string JwtCallerPrefix = "jwt:";

    /// <summary>Longest API key accepted, in characters; longer ones are refused without hashing.</summary>
    private const int MaxApiKeyLength = 1024;

    private readonly SignedJwtValidator _jwt;
    private readonly IUserTokenValidator _userTokens;
    private readonly ILogger<ServiceAuthenticator> _logger;
    private readonly (string Name, byte[] Hash)[] _apiKeys;
    private readonly string? _serviceAudience;
    private readonly string _scope;

    public ServiceAuthenticator(SignedJwtValidator jwt, IUserTokenValidator userTokens, IOptions<AuthOptions> options, ILogger<ServiceAuthenticator> logger)
    {
        _jwt = jwt;
        _userTokens = userTokens;
        _logger = logger;
        var auth = options.Value;
        _apiKeys = [.. auth.ApiKeys.Select(k => (k.Name, Convert.FromHexString(k.Sha256)))];
        _serviceAudience = string.IsNullOrWhiteSpace(auth.ServiceJwt?.Audience) ? null : auth.ServiceJwt.Audience;
        _scope = auth.ServiceJwt?.Scope ?? new ServiceJwtOptions().Scope;
    }

    /// <summary>Authenticates the request's <c>Authorization</c> header; never throws for bad input and never logs the credential.</summary>
    public async ValueTask<ServiceAuthResult> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var result = await AuthenticateCoreAsync(context).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Log.ServiceCallRejected(_logger, result.StatusCode, result.Error!);
        }

        return result;
    }

    private async ValueTask<ServiceAuthResult> AuthenticateCoreAsync(HttpContext context)
    {
        switch (AuthorizationHeader.Read(context.Request, out var scheme, out var credential))
        {
            case AuthorizationHeaderState.Absent:
                return ServiceAuthResult.Unauthorized("no credential");
            case AuthorizationHeaderState.Malformed:
                return ServiceAuthResult.Unauthorized("authorization header is malformed");
        }

        if (scheme.Equals(AuthorizationHeader.ApiKeyScheme, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateApiKey(credential);
        }

        if (scheme.Equals(AuthorizationHeader.BearerScheme, StringComparison.OrdinalIgnoreCase))
        {
            return await AuthenticateBearerAsync(credential, context.RequestAborted).ConfigureAwait(false);
        }

        return ServiceAuthResult.Unauthorized("unsupported authorization scheme");
    }

    private ServiceAuthResult AuthenticateApiKey(string key)
    {
        if (key.Length > MaxApiKeyLength)
        {
            return ServiceAuthResult.Unauthorized("API key is not valid");
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);

        // Compare with every configured hash, without stopping at a match, so the time taken
        // does not tell which key (or whether an early one) matched.
        var match = -1;
        for (var i = 0; i < _apiKeys.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, _apiKeys[i].Hash);
            match = equal ? i : match;
        }

        return match >= 0
            ? ServiceAuthResult.Success(_apiKeys[match].Name)
            : ServiceAuthResult.Unauthorized("API key is not valid");
    }

    private async ValueTask<ServiceAuthResult> AuthenticateBearerAsync(string token, CancellationToken cancellationToken)
    {
        string? serviceError = null;
        if (_serviceAudience is not null)
        {
            var check = await _jwt.ValidateAsync(token, _serviceAudience, cancellationToken).ConfigureAwait(false);
            if (check.Token is { } jwt)
            {
                return FromServiceToken(jwt);
            }

            serviceError = check.Error;
        }

        // Not a service token: say 403 rather than 401 when it is a perfectly good user token,
        // so a misconfigured caller learns it holds the wrong kind of credential.
        var asUser = await _userTokens.ValidateAsync(token, cancellationToken).ConfigureAwait(false);
        if (asUser.Succeeded)
        {
            return ServiceAuthResult.Forbidden("user tokens cannot call the service API");
        }

        return ServiceAuthResult.Unauthorized(_serviceAudience is null
            ? "service tokens are not enabled; use an API key"
            : serviceError ?? "token is invalid");
    }

    private ServiceAuthResult FromServiceToken(JwtSecurityToken jwt)
    {
        if (!HasScope(jwt, _scope))
        {
            return ServiceAuthResult.Forbidden($"service token lacks the '{_scope}' scope");
        }

        var caller = FirstNonEmpty(jwt, "client_id") ?? FirstNonEmpty(jwt, "azp") ?? FirstNonEmpty(jwt, "sub");
        return caller is null
            ? ServiceAuthResult.Unauthorized("service token has no client_id, azp or sub")
            : ServiceAuthResult.Success(JwtCallerPrefix + caller);
    }

    // "scope" is a space-separated string (RFC 8693); "scp" is a string or an array depending on
    // the issuer. An array arrives as one claim per element, so every value is split on spaces.
    private static bool HasScope(JwtSecurityToken jwt, string required)
    {
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type is not ("scope" or "scp"))
            {
                continue;
            }

            foreach (var scope in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(scope, required, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string? FirstNonEmpty(JwtSecurityToken jwt, string type)
    {
        foreach (var claim in jwt.Claims)
        {
            if (claim.Type == type && !string.IsNullOrWhiteSpace(claim.Value))
            {
                return claim.Value;
            }
        }

        return null;
    }
}
