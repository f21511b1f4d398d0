using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Options;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Connections;

/// <summary>The process-wide collaborators every <see cref="NotificationConnection"/> shares; one instance per process.</summary>
public sealed class ConnectionServices(
    INotificationStore store,
    IUserTokenValidator tokenValidator,
    AckCoalescer acks,
    IOptions<ConnectionOptions> connectionOptions,
    IOptions<DeliveryOptions> deliveryOptions,
    TimeProvider timeProvider,
    ILoggerFactory loggerFactory)
{
    internal INotificationStore Store { get; } = store;

    internal IUserTokenValidator TokenValidator { get; } = tokenValidator;

    internal AckCoalescer Acks { get; } = acks;

    internal ConnectionOptions Connection { get; } = connectionOptions.Value;

    internal DeliveryOptions Delivery { get; } = deliveryOptions.Value;

    internal TimeProvider Time { get; } = timeProvider;

    internal ILogger Logger { get; } = loggerFactory.CreateLogger<NotificationConnection>();
}
