using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Tests.Infrastructure;

/// <summary>A service provider with <c>AddNotifyPushAuthentication</c> over in-memory settings, for unit tests.</summary>
public static class AuthTestServices
{
    /// <summary>
    /// Builds the provider; call <see cref="ValidateOnStart"/> to run the start-up validation a host would. Every log
    /// record (Debug and up) goes to <paramref name="logs"/> when one is given.
    /// </summary>
    public static ServiceProvider Build(IReadOnlyDictionary<string, string?> settings, string environmentName = "Production", FakeLogCollector? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var environment = new HostingEnvironment { EnvironmentName = environmentName, ApplicationName = "NotifyPush.Server.Tests", ContentRootPath = AppContext.BaseDirectory };
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(environment);
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null)
            {
                logging.AddProvider(new FakeLoggerProvider(logs));
            }
        });
        services.AddRouting(); // the authorization policy cache reads the endpoints, as in a host
        services.AddInMemoryTokenRevocations();
        services.AddNotifyPushAuthentication(configuration, environment);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>
    /// What the authentication's token revocation check needs from the engine, for hosts that register authentication
    /// alone: the engine's cache over an in-memory store.
    /// </summary>
    public static IServiceCollection AddInMemoryTokenRevocations(this IServiceCollection services)
    {
        services.AddSingleton<ITokenRevocationStore, InMemoryTokenRevocationStore>();
        services.AddSingleton<TokenRevocations>();
        return services;
    }

    /// <summary>Runs the options validation that <c>ValidateOnStart</c> runs when a host starts.</summary>
    public static void ValidateOnStart(this IServiceProvider provider) => provider.GetRequiredService<IStartupValidator>().Validate();
}
