using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NotifyPush.Backplane.Redis;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis backplane.</summary>
public static class RedisBackplaneServiceCollectionExtensions
{
    /// <summary>
    /// Makes <see cref="RedisNotificationBackplane"/> the process's <see cref="INotificationBackplane"/> (a singleton
    /// holding the one ConnectionMultiplexer), configured from <c>NotifyPush:Backplane</c>.
    /// </summary>
    /// <remarks>
    /// The options are validated at start-up: a missing or unparsable <c>NotifyPush:Backplane:Configuration</c> stops
    /// the host with a message naming it. Redis itself being down does not: the backplane connects in the background.
    /// </remarks>
    public static IServiceCollection AddRedisBackplane(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.AddOptions<BackplaneOptions>()
            .BindConfiguration(BackplaneOptions.SectionName)
            .ValidateOnStart();
        // The annotations (ChannelPrefix…) are validated once, named by their full key, by AddNotifyPushCore's
        // validator when the engine is registered; on their own, by the generated validator here.
        if (!services.Any(static d => d.ServiceType == typeof(IValidateOptions<BackplaneOptions>) && d.ImplementationInstance is SectionNamedValidator<BackplaneOptions>))
        {
            services.AddSingleton<IValidateOptions<BackplaneOptions>>(new SectionNamedValidator<BackplaneOptions>(new BackplaneOptionsValidator(), BackplaneOptions.SectionName));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackplaneOptions>, RedisBackplaneOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RedisNotificationBackplane>();

        // Replaces a default (in-process) registration whichever of the two was added first.
        services.RemoveAll<INotificationBackplane>();
        services.AddSingleton<INotificationBackplane>(static provider => provider.GetRequiredService<RedisNotificationBackplane>());
        return services;
    }
}
