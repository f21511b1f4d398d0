using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Backplane.Redis;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;
using NotifyPush.Core.Presence;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis backplane.</summary>
public static class RedisBackplaneServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="RedisNotificationBackplane"/> the process's <see cref="INotificationBackplane"/>, configured from
    /// <c>NotifyPush:Backplane</c>, over one <see cref="RedisConnection"/> (a singleton holding the one
    /// ConnectionMultiplexer) that presence and the shared send rate limit use too.
    /// </summary>
    /// <remarks>
    /// The options are validated at start-up: a missing or unparsable <c>NotifyPush:Backplane:Configuration</c> stops
    /// the host with a message naming it. Redis itself being down does not: the backplane connects in the background.
    /// </remarks>
    public static IServiceCollection AddRedisBackplane(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<RedisBackplaneOptions>()
            .BindConfiguration(RedisBackplaneOptions.SectionName)
            .ValidateOnStart();
        if (!services.Any(static d => d.ServiceType == typeof(IValidateOptions<RedisBackplaneOptions>) && d.ImplementationInstance is SectionNamedValidator<RedisBackplaneOptions>))
        {
            // The annotations (ChannelPrefix…), each failure named by its full key.
            services.AddSingleton<IValidateOptions<RedisBackplaneOptions>>(new SectionNamedValidator<RedisBackplaneOptions>(new RedisBackplaneOptionsAnnotationsValidator(), RedisBackplaneOptions.SectionName));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisBackplaneOptions>, RedisBackplaneOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);

        // The one multiplexer. Its users take it in their constructors, so the container creates it before them and
        // disposes it after them: it is closed once, after the backplane, presence and the rate limiter are done.
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton(static provider => new RedisNotificationBackplane(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<IOptions<RedisBackplaneOptions>>(),
            provider.GetRequiredService<ILogger<RedisNotificationBackplane>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetService<NotifyPushMetrics>()));

        // Replaces a default (in-process) registration whichever of the two was added first.
        services.RemoveAll<INotificationBackplane>();
        services.AddSingleton<INotificationBackplane>(static provider => provider.GetRequiredService<RedisNotificationBackplane>());

        // The service API's send rate limit is shared by the replicas through the same Redis.
        services.TryAddSingleton<RedisSendRateLimiter>();

        // Presence lives in the same Redis, over the same connection.
        services.TryAddSingleton<RedisPresenceDirectory>();
        services.RemoveAll<IPresenceDirectory>();
        services.AddSingleton<IPresenceDirectory>(static provider => provider.GetRequiredService<RedisPresenceDirectory>());
        services.AddHostedService(static provider => provider.GetRequiredService<RedisPresenceDirectory>());
        return services;
    }
}
