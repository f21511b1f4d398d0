using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Logging;

public static class LoggingServiceCollectionExtensions
{
    /// <summary>
    /// Replaces the <see cref="ILoggerFactory"/> with one that redacts <c>access_token=…</c> query values
    /// and JSON <c>"token"</c> fields from every log event, the framework's request logs included.
    /// </summary>
    /// <remarks>
    /// The real <see cref="LoggerFactory"/> is built when the factory is first resolved, from every
    /// <see cref="ILoggerProvider"/> registered by then, so providers added before or after this
    /// call (and through <see cref="ILoggerFactory.AddProvider"/> later) are all covered.
    /// </remarks>
    public static IServiceCollection AddAccessTokenRedaction(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddLogging();
        services.RemoveAll<ILoggerFactory>();
        services.AddSingleton<ILoggerFactory>(provider => new RedactingLoggerFactory(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>())));
        return services;
    }
}
