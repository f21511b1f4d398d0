using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotifyPush.Core;
using NotifyPush.Core.Connections;
using NotifyPush.Server.Logging;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The one place where the schemes and policies are wired. ASP.NET Core's authentication does the validating; the
/// folders beside this file hold only what it does not, one concern each (one namespace for all):
/// <list type="bullet">
/// <item><c>UserTokens/</c>: where a user's token comes from (header, <c>access_token</c>, cookie), its pre-checks and
/// rules (user id claim, expiry), revocation, in-band refresh, and the socket's own policy check.</item>
/// <item><c>Origins/</c>: the Origin allow-list for cookie credentials.</item>
/// <item><c>Services/</c>: API keys (hashed), service JWTs and the scopes each route requires.</item>
/// <item><c>SigningKeys/</c>: the key material (HS256 secret, PEM, OIDC discovery) and the JwtBearer options built from it.</item>
/// <item><c>Development/</c>: the Development-only fallbacks and token issuer.</item>
/// </list>
/// </summary>
public static class AuthenticationServiceCollectionExtensions
{
    /// <summary>
    /// Registers authentication and authorization: <see cref="JwtOptions"/> and <see cref="AuthOptions"/> bound and
    /// validated at start-up; the JwtBearer schemes <see cref="NotifyPushSchemes.UserToken"/> and
    /// <see cref="NotifyPushSchemes.ServiceToken"/>, the <see cref="NotifyPushSchemes.ApiKey"/> scheme and the
    /// <see cref="NotifyPushSchemes.Service"/> scheme that picks between the last two; the
    /// <see cref="NotifyPushPolicies"/>; <see cref="IUserTokenValidator"/> for in-band refresh;
    /// <see cref="DevTokenIssuer"/>; and <c>access_token</c> log redaction.
    /// </summary>
    /// <remarks>
    /// In Development only, missing key material and service credentials fall back to
    /// <see cref="DevelopmentCredentials"/> with a warning; elsewhere start-up fails naming the setting.
    /// </remarks>
    public static IServiceCollection AddNotifyPushAuthentication(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);

        services.AddOptions<JwtOptions>()
            .Bind(configuration.GetSection(JwtOptions.SectionName))
            .ValidateOnStart();
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JwtOptions>, JwtOptionsRulesValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsRulesValidator>());

        if (environment.IsDevelopment())
        {
            services.TryAddSingleton<DevelopmentCredentialFallback>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtOptions>, DevelopmentCredentialFallback>(
                provider => provider.GetRequiredService<DevelopmentCredentialFallback>()));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<AuthOptions>, DevelopmentCredentialFallback>(
                provider => provider.GetRequiredService<DevelopmentCredentialFallback>()));
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SigningKeyDiscovery>();
        services.TryAddSingleton<UserTokenRules>();
        services.TryAddSingleton<TokenRevocationCheck>();
        services.TryAddSingleton<ApiKeyHashes>();
        services.TryAddSingleton<UserTokenEvents>();
        services.TryAddSingleton<ServiceTokenEvents>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JwtBearerOptions>, JwtBearerOptionsSetup>());
        services.TryAddSingleton<IUserTokenValidator, UserTokenValidator>();
        services.TryAddSingleton<HmacUserTokenSigner>();
        services.TryAddSingleton<DevTokenIssuer>();

        // No default scheme: each endpoint group names its policy, and a request to anything else (the demo page,
        // health checks, the client script) runs no authentication at all.
        services.AddAuthentication()
            .AddJwtBearer(NotifyPushSchemes.UserToken)
            .AddJwtBearer(NotifyPushSchemes.ServiceToken)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(NotifyPushSchemes.ApiKey, null)
            .AddPolicyScheme(NotifyPushSchemes.Service, null, options => options.ForwardDefaultSelector = SelectServiceScheme);

        services.AddAuthorizationBuilder()
            .AddPolicy(NotifyPushPolicies.SocketUser, policy => policy
                .AddAuthenticationSchemes(NotifyPushSchemes.UserToken)
                .RequireAuthenticatedUser()
                .AddRequirements(new CookieOriginRequirement()))
            .AddPolicy(NotifyPushPolicies.ServiceCaller, policy => policy
                .AddAuthenticationSchemes(NotifyPushSchemes.Service)
                .RequireAuthenticatedUser()
                .AddRequirements(new ServiceCallerRequirement()));
        foreach (var scope in ServiceScopes.All)
        {
            services.AddAuthorizationBuilder().AddPolicy(NotifyPushPolicies.Scope(scope), policy => policy
                .AddAuthenticationSchemes(NotifyPushSchemes.Service)
                .RequireAuthenticatedUser()
                .AddRequirements(new ServiceCallerRequirement(), new ServiceScopeRequirement(scope)));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, CookieOriginAuthorizationHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ServiceCallerAuthorizationHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, ServiceScopeAuthorizationHandler>());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationProblemResultHandler>();

        services.AddAccessTokenRedaction();
        // The handshake refusals this registers count themselves (notifypush.handshakes).
        services.AddNotifyPushMetrics();
        return services;
    }

    // A Bearer header on the service API is a service JWT (or a user token, refused by the policy); anything else,
    // no header included, goes to the API key scheme, which says what is wrong with it.
    private static string SelectServiceScheme(HttpContext context) =>
        AuthorizationHeader.Read(context.Request, out var scheme, out _) == AuthorizationHeaderState.Present
        && scheme.Equals(AuthorizationHeader.BearerScheme, StringComparison.OrdinalIgnoreCase)
            ? NotifyPushSchemes.ServiceToken
            : NotifyPushSchemes.ApiKey;
}
