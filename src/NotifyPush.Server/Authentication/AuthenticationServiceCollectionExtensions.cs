using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Connections;
using NotifyPush.Server.Logging;

namespace NotifyPush.Server.Authentication;

public static class AuthenticationServiceCollectionExtensions
{
    /// <summary>
    /// Registers credential handling: <see cref="JwtOptions"/> and <see cref="AuthOptions"/> bound and
    /// validated at start-up, <see cref="IUserTokenValidator"/>, <see cref="HandshakeAuthenticator"/>,
    /// <see cref="ServiceAuthenticator"/>, <see cref="DevTokenIssuer"/>, and <c>access_token</c> log redaction.
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
        services.TryAddSingleton<SigningKeyResolver>();
        services.TryAddSingleton<SignedJwtValidator>();
        services.TryAddSingleton<IUserTokenValidator, UserTokenValidator>();
        services.TryAddSingleton<HandshakeAuthenticator>();
        services.TryAddSingleton<ServiceAuthenticator>();
        services.TryAddSingleton<DevTokenIssuer>();

        services.AddAccessTokenRedaction();
        return services;
    }
}
