using Microsoft.Extensions.Options;
using NotifyPush.Client.Publishing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="NotifyPushPublisher"/> as a typed client of <c>IHttpClientFactory</c>.</summary>
public static class NotifyPushPublisherServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="NotifyPushPublisher"/> (transient, like every typed client) over an <see cref="HttpClient"/> from
    /// <c>IHttpClientFactory</c>, configured by <paramref name="configure"/> (at least
    /// <see cref="NotifyPushPublisherOptions.BaseAddress"/> and <see cref="NotifyPushPublisherOptions.Credential"/>).
    /// </summary>
    /// <returns>
    /// The client's builder, for handlers such as <c>AddStandardResilienceHandler()</c>. With one, set
    /// <see cref="NotifyPushRetryOptions.MaxAttempts"/> to 1 so that attempts are not retried twice over; the
    /// publisher keeps one <c>Idempotency-Key</c> per send either way, so a retried send is stored once.
    /// </returns>
    public static IHttpClientBuilder AddNotifyPushPublisher(this IServiceCollection services, Action<NotifyPushPublisherOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<NotifyPushPublisherOptions>().Configure(configure);
        return services.AddHttpClient(nameof(NotifyPushPublisher))
            .AddTypedClient(static (client, provider) => new NotifyPushPublisher(client, provider.GetRequiredService<IOptions<NotifyPushPublisherOptions>>().Value));
    }
}
