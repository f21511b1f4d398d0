using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The <see cref="NotifyPushSchemes.ApiKey"/> scheme: <c>Authorization: ApiKey &lt;key&gt;</c> against the configured
/// SHA-256 hashes. The Service scheme forwards every request without a Bearer header here, so this handler also
/// says why a header is unusable.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    private readonly ApiKeyHashes _apiKeys;

    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ApiKeyHashes apiKeys)
        : base(options, logger, encoder)
    {
        _apiKeys = apiKeys;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        switch (AuthorizationHeader.Read(Request, out var scheme, out var credential))
        {
            case AuthorizationHeaderState.Absent:
                return Task.FromResult(AuthenticateResult.NoResult());
            case AuthorizationHeaderState.Malformed:
                return Task.FromResult(AuthenticateResult.Fail("authorization header is malformed"));
        }

        if (!scheme.Equals(AuthorizationHeader.ApiKeyScheme, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.Fail("unsupported authorization scheme"));
        }

        if (_apiKeys.Match(credential) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("API key is not valid"));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(key.Principal, NotifyPushSchemes.ApiKey)));
    }
}
