using NotifyPush.Backplane.Redis;
using NotifyPush.Core;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Server.Api;
using NotifyPush.Server.Endpoints;
using NotifyPush.Storage.Postgres;
using NotifyPush.Storage.Sqlite;

namespace NotifyPush.Server.Hosting;

/// <summary>Registration of the host's pieces, chosen by configuration.</summary>
public static class NotifyPushServerServiceCollectionExtensions
{
    /// <summary>Adds the store named by <c>NotifyPush:Store:Provider</c> (SQLite by default).</summary>
    public static IServiceCollection AddNotifyPushStore(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration.GetValue(StoreOptions.SectionName + ":Provider", StoreProvider.Sqlite);
        return provider switch
        {
            StoreProvider.Sqlite => services.AddSqliteStore().AddMeteredNotificationStore("sqlite"),
            StoreProvider.Postgres => services.AddPostgresStore(configuration).AddMeteredNotificationStore("postgresql"),
            _ => throw new InvalidOperationException($"NotifyPush:Store:Provider '{provider}' is not supported by this build."),
        };
    }

    /// <summary>Adds the backplane named by <c>NotifyPush:Backplane:Provider</c> (in-process by default).</summary>
    public static IServiceCollection AddNotifyPushBackplane(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration.GetValue(BackplaneOptions.SectionName + ":Provider", BackplaneProvider.InProcess);
        return provider switch
        {
            BackplaneProvider.InProcess => services.AddInProcessBackplane(),
            BackplaneProvider.Redis => services.AddRedisBackplane(),
            _ => throw new InvalidOperationException($"NotifyPush:Backplane:Provider '{provider}' is not supported by this build."),
        };
    }

    /// <summary>Adds the service API's options, rate limiter and problem details.</summary>
    public static IServiceCollection AddNotifyPushApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ApiOptions, ApiOptionsValidator>(configuration, ApiOptions.SectionName);
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiOptions>, ApiOptionsRulesValidator>();
        services.AddSingleton<ApiOptionsFormerNames>();
        services.AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<ApiOptions>>(static sp => sp.GetRequiredService<ApiOptionsFormerNames>());
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ApiOptions>>(static sp => sp.GetRequiredService<ApiOptionsFormerNames>());
        services.AddHostedService(static sp => sp.GetRequiredService<ApiOptionsFormerNames>());
        services.AddSingleton<ServiceRateLimiter>();
        services.AddSingleton<NotificationSender>();
        services.AddOptions<Admin.AdminOptions>().Bind(configuration.GetSection(Admin.AdminOptions.SectionName));
        services.AddProblemDetails();
        return services;
    }

    /// <summary>
    /// Caps connections and sockets below the process's open-file limit (<see cref="ReplicaCapacity"/>): Kestrel
    /// refuses connections over <c>MaxConnections</c>, the socket endpoint answers 503 over <c>MaxSockets</c>.
    /// </summary>
    public static IServiceCollection AddNotifyPushCapacity(this IServiceCollection services, IConfiguration configuration)
    {
        var connections = new ConnectionOptions();
        configuration.GetSection(ConnectionOptions.SectionName).Bind(connections);
        var capacity = new ReplicaCapacity(connections, ReplicaCapacity.ReadOpenFileLimit());
        services.AddSingleton(capacity);

        // The registry admits sockets up to MaxSockets; 0 there means "derive it", which only this process can.
        services.PostConfigure<ConnectionOptions>(options =>
        {
            if (options.MaxSockets == 0 && capacity.MaxSockets is { } maxSockets)
            {
                options.MaxSockets = maxSockets;
            }
        });
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = capacity.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = capacity.MaxSockets;
        });
        return services;
    }

    /// <summary>The start-up warm-up (<see cref="StartupWarmUp"/>): loopback sockets before <c>/readyz</c> says ready.</summary>
    public static IServiceCollection AddNotifyPushWarmUp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<WarmUpOptions, WarmUpOptionsValidator>(configuration, WarmUpOptions.SectionName);
        services.AddSingleton<StartupWarmUp>();
        services.AddHostedService(static sp => sp.GetRequiredService<StartupWarmUp>());
        return services;
    }

    /// <summary>Gives graceful draining enough time before the host gives up on shutdown.</summary>
    public static IServiceCollection AddNotifyPushShutdown(this IServiceCollection services, IConfiguration configuration)
    {
        var connections = new ConnectionOptions();
        configuration.GetSection(ConnectionOptions.SectionName).Bind(connections);
        services.Configure<HostOptions>(host =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(connections.DrainSeconds + connections.CloseTimeoutSeconds + 5));
        return services;
    }
}
