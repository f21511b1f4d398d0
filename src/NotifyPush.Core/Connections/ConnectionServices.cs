using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Connections;

/// <summary>The process-wide collaborators every <see cref="NotificationConnection"/> shares; one instance per process.</summary>
public sealed class ConnectionServices(
    StreamReplay replay,
    IUserTokenValidator tokenValidator,
    AckCoalescer acks,
    IOptions<ConnectionOptions> connectionOptions,
    TimeProvider timeProvider,
    NotifyPushMetrics metrics,
    ILoggerFactory loggerFactory)
{
    internal StreamReplay Replay { get; } = replay;

    internal IUserTokenValidator TokenValidator { get; } = tokenValidator;

    internal AckCoalescer Acks { get; } = acks;

    internal ConnectionOptions Connection { get; } = connectionOptions.Value;

    internal TimeProvider Time { get; } = timeProvider;

    internal NotifyPushMetrics Metrics { get; } = metrics;

    internal ILogger Logger { get; } = loggerFactory.CreateLogger<NotificationConnection>();
}
