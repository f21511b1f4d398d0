using Microsoft.Extensions.DependencyInjection;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Diagnostics;

/// <summary>Puts <see cref="MeteredNotificationStore"/> in front of whichever store was registered.</summary>
public static class MeteredNotificationStoreRegistration
{
    /// <summary>
    /// Replaces the last <see cref="INotificationStore"/> registration with the metered store around it. Call after the
    /// store was added; <paramref name="system"/> names it in traces (<c>postgresql</c>, <c>sqlite</c>).
    /// </summary>
    public static IServiceCollection AddMeteredNotificationStore(this IServiceCollection services, string system)
    {
        var registered = services.LastOrDefault(static d => d.ServiceType == typeof(INotificationStore))
            ?? throw new InvalidOperationException("Add a store before metering it.");
        services.Remove(registered);
        services.AddSingleton<INotificationStore>(provider => new MeteredNotificationStore(
            Create(registered, provider),
            provider.GetRequiredService<NotifyPushMetrics>(),
            provider.GetRequiredService<TimeProvider>(),
            system));
        return services;
    }

    private static INotificationStore Create(ServiceDescriptor registered, IServiceProvider provider) =>
        (INotificationStore)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, registered.ImplementationType!));
}
