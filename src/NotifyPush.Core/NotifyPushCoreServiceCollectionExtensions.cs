using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Connections;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Hosting;
using NotifyPush.Core.Options;
using NotifyPush.Core.Presence;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core;

/// <summary>Registration of the delivery engine.</summary>
public static class NotifyPushCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine: options (validated at start-up), the registry, dispatch, publishing, acknowledgements,
    /// heartbeats, position checks, retention and graceful draining. A store and a backplane are added separately
    /// (<see cref="AddInProcessBackplane"/> or the Redis one; the SQLite or Postgres store).
    /// </summary>
    public static IServiceCollection AddNotifyPushCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ConnectionOptions, ConnectionOptionsValidator>(configuration, ConnectionOptions.SectionName);
        services.AddValidatedOptions<DeliveryOptions, DeliveryOptionsValidator>(configuration, DeliveryOptions.SectionName);
        services.AddValidatedOptions<RetentionOptions, RetentionOptionsValidator>(configuration, RetentionOptions.SectionName);
        services.AddValidatedOptions<StoreOptions, StoreOptionsValidator>(configuration, StoreOptions.SectionName);
        services.AddValidatedOptions<PresenceOptions, PresenceOptionsValidator>(configuration, PresenceOptions.SectionName);
        services.AddValidatedOptions<TokenRevocationOptions, TokenRevocationOptionsValidator>(configuration, TokenRevocationOptions.SectionName);
        services.AddSingleton<IValidateOptions<PresenceOptions>, PresenceOptionsRulesValidator>();
        services.AddOptions<BackplaneOptions>().Bind(configuration.GetSection(BackplaneOptions.SectionName));

        services.TryAddSingleton(TimeProvider.System);
        services.AddNotifyPushMetrics();
        services.AddSingleton<DrainState>();
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<IUserSocketCountObserver>(provider => provider.GetRequiredService<PresenceTracker>());
        services.AddSingleton<ReplicaReporter>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ILocalRecipients>(static sp => sp.GetRequiredService<ConnectionRegistry>());
        services.AddSingleton<TokenRevocations>(); // needs the store's ITokenRevocationStore
        services.AddSingleton<HandshakeRateLimiter>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddSingleton<DoorbellQueue>();
        services.AddSingleton<NotificationPublisher>();
        services.AddSingleton<StreamReplay>();
        services.AddSingleton<ConnectionServices>();
        services.AddSingleton<AckCoalescer>();
        services.AddSingleton<RetentionService>();
        services.AddSingleton<PositionCheckService>();

        // Order matters: the schema and the backplane listener are ready before anything else starts.
        services.AddHostedService<NotifyPushStartupService>();
        services.AddHostedService(static sp => sp.GetRequiredService<DoorbellQueue>());
        services.AddHostedService(static sp => sp.GetRequiredService<AckCoalescer>());
        services.AddHostedService<HeartbeatService>();
        services.AddHostedService(static sp => sp.GetRequiredService<RetentionService>());
        services.AddHostedService(static sp => sp.GetRequiredService<PositionCheckService>());
        services.AddHostedService<ConnectionDrainService>();
        return services;
    }

    /// <summary>Adds the <c>NotifyPush</c> meter (<see cref="NotifyPushMetrics"/>) and the host's meter factory, once.</summary>
    public static IServiceCollection AddNotifyPushMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<NotifyPushMetrics>();
        return services;
    }

    /// <summary>Adds the single-replica backplane (the default when no Redis is configured).</summary>
    public static IServiceCollection AddInProcessBackplane(this IServiceCollection services)
    {
        services.TryAddSingleton<INotificationBackplane, InProcessNotificationBackplane>();

        // One replica: presence is this process's registry.
        services.TryAddSingleton<InProcessPresenceDirectory>();
        services.TryAddSingleton<IPresenceDirectory>(static sp => sp.GetRequiredService<InProcessPresenceDirectory>());
        services.AddHostedService(static sp => sp.GetRequiredService<InProcessPresenceDirectory>());
        return services;
    }

    /// <summary>Binds <typeparamref name="TOptions"/> to its section and validates it at start-up, naming failures by their full key.</summary>
    public static void AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string sectionName)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>, new()
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(sectionName)).ValidateOnStart();
        if (!services.Any(static d => d.ServiceType == typeof(IValidateOptions<TOptions>) && d.ImplementationInstance is SectionNamedValidator<TOptions>))
        {
            services.AddSingleton<IValidateOptions<TOptions>>(new SectionNamedValidator<TOptions>(new TValidator(), sectionName));
        }
    }
}
