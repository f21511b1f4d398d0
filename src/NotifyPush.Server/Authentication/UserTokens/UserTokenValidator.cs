using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Storage;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Validates the token of an in-band <c>auth</c> refresh exactly as the handshake's <see cref="NotifyPushSchemes.UserToken"/>
/// scheme does: the same handler, <see cref="TokenValidationParameters"/>, discovery, <see cref="UserTokenRules"/> and
/// <see cref="TokenRevocationCheck"/>.
/// </summary>
internal sealed partial class UserTokenValidator : IUserTokenValidator
{
    private readonly IOptionsMonitor<JwtBearerOptions> _bearerOptions;
    private readonly UserTokenRules _rules;
    private readonly TokenRevocationCheck _revocation;
    private readonly SigningKeyDiscovery _discovery;
    private readonly ILogger<UserTokenValidator> _logger;

    public UserTokenValidator(IOptionsMonitor<JwtBearerOptions> bearerOptions, UserTokenRules rules, TokenRevocationCheck revocation, SigningKeyDiscovery discovery, ILogger<UserTokenValidator> logger)
    {
        _bearerOptions = bearerOptions;
        _rules = rules;
        _revocation = revocation;
        _discovery = discovery;
        _logger = logger;
    }

    public async ValueTask<UserTokenValidation> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        var result = await ValidateCoreAsync(token, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            Log.UserTokenRejected(_logger, result.Error!);
        }

        return result;
    }

    private async ValueTask<UserTokenValidation> ValidateCoreAsync(string token, CancellationToken cancellationToken)
    {
        var options = _bearerOptions.Get(NotifyPushSchemes.UserToken);
        if (await TokenPrecheck.CheckAsync(token, options.TokenValidationParameters.ValidAlgorithms, _discovery, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return UserTokenValidation.Failure(refused);
        }

        // As JwtBearerHandler does: a copy per validation, carrying the discovery manager so the handler itself
        // refreshes and retries once when the token names a key it has not seen (key rotation).
        var parameters = options.TokenValidationParameters.Clone();
        if (options.ConfigurationManager is BaseConfigurationManager manager)
        {
            parameters.ConfigurationManager = manager;
        }

        var validation = await options.TokenHandlers[0].ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!validation.IsValid)
        {
            return UserTokenValidation.Failure(TokenErrors.Describe(validation.Exception));
        }

        var result = _rules.Check(validation.ClaimsIdentity, validation.SecurityToken);
        if (!result.Succeeded)
        {
            return result;
        }

        try
        {
            return await _revocation.CheckAsync(result.UserId!, validation.SecurityToken, cancellationToken).ConfigureAwait(false) is { } revoked
                ? UserTokenValidation.RevokedFailure(revoked)
                : result;
        }
        catch (StoreUnavailableException)
        {
            // Refused without closing as revoked: the socket closes 4001 and the client reconnects, which the
            // handshake answers with 503 until the store is back.
            return UserTokenValidation.Failure("token revocation could not be checked (store unavailable)");
        }
    }
}
