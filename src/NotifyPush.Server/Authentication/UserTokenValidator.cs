using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Validates the token of an in-band <c>auth</c> refresh exactly as the handshake's <see cref="NotifyPushSchemes.UserToken"/>
/// scheme does: the same handler, <see cref="TokenValidationParameters"/>, discovery and <see cref="UserTokenRules"/>.
/// </summary>
internal sealed partial class UserTokenValidator : IUserTokenValidator
{
    private readonly IOptionsMonitor<JwtBearerOptions> _bearerOptions;
    private readonly UserTokenRules _rules;
    private readonly SigningKeyDiscovery _discovery;
    private readonly ILogger<UserTokenValidator> _logger;

    public UserTokenValidator(IOptionsMonitor<JwtBearerOptions> bearerOptions, UserTokenRules rules, SigningKeyDiscovery discovery, ILogger<UserTokenValidator> logger)
    {
        _bearerOptions = bearerOptions;
        _rules = rules;
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
        return validation.IsValid
            ? _rules.Check(validation.ClaimsIdentity, validation.SecurityToken)
            : UserTokenValidation.Failure(TokenErrors.Describe(validation.Exception));
    }
}
