using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

/// <summary>
/// The process's one <see cref="ConnectionMultiplexer"/>, configured from <c>NotifyPush:Backplane</c> and shared by
/// the backplane, presence (<see cref="RedisPresenceDirectory"/>) and the shared send rate limit
/// (<see cref="RedisSendRateLimiter"/>). It is created in the background, so that the server starts while Redis is
/// down.
/// </summary>
/// <remarks>
/// <para>
/// Connecting starts when the backplane attaches as the connection's observer (<see cref="Start"/>), from its
/// constructor: every step is then reported to the one who turns it into health and log lines, and none is missed.
/// Until the multiplexer exists <see cref="Multiplexer"/> is null, and its users treat Redis as unavailable.
/// </para>
/// <para>
/// Once created, the multiplexer reconnects by itself (AbortOnConnectFail is off); what it does on a reconnect is
/// the backplane's to handle. Disposing closes it. Registered as a singleton that its users take in their
/// constructors, it is created before them and so disposed after them: the multiplexer is closed once, after the
/// services that use it have stopped.
/// </para>
/// </remarks>
public sealed class RedisConnection : IAsyncDisposable
{
    /// <summary>The first wait before a failed attempt is repeated; each wait doubles up to <see cref="MaxRetryDelay"/>.</summary>
    internal static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly ConfigurationOptions _configuration;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private IRedisConnectionObserver? _observer;
    private Task? _connecting;
    private volatile ConnectionMultiplexer? _multiplexer;
    private int _disposed;

    /// <summary>Reads the configuration; connects only once <see cref="Start"/> is called, and never waits for Redis.</summary>
    /// <exception cref="InvalidOperationException"><c>NotifyPush:Backplane:Configuration</c> is missing or invalid.</exception>
    public RedisConnection(IOptions<RedisBackplaneOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);

        var settings = options.Value;
        if (!RedisBackplaneOptionsValidator.TryParse(settings.Configuration, out var configuration, out var error))
        {
            throw new InvalidOperationException(error);
        }

        // Start-up must not fail, nor wait, because Redis is down: the multiplexer keeps retrying on its own.
        configuration.AbortOnConnectFail = false;
        // StackExchange.Redis's own channel and key (master-change broadcasts, tie-break between several primaries)
        // are named outside the prefix by default; under it, an ACL user limited to the prefix has every right it
        // needs (docs/backplane.md). A value the configuration string sets is kept.
        var defaults = new ConfigurationOptions();
        if (configuration.ConfigurationChannel == defaults.ConfigurationChannel)
        {
            configuration.ConfigurationChannel = settings.ChannelPrefix + ":__config";
        }

        if (configuration.TieBreaker == defaults.TieBreaker)
        {
            configuration.TieBreaker = settings.ChannelPrefix + ":__tiebreak";
        }

        if (settings.TlsCaCertificatePath is { Length: > 0 } caPath)
        {
            // Redis's certificate is checked against this CA (and its host name against the endpoint or sslHost).
            configuration.TrustIssuer(caPath);
        }

        _configuration = configuration;
        _timeProvider = timeProvider;
        IsCluster = settings.Mode == RedisBackplaneMode.Cluster;
        Prefix = settings.ChannelPrefix;
        EndPoints = DescribeEndPoints(configuration.EndPoints);
    }

    /// <summary>The multiplexer, once the first connection attempt created it; null before.</summary>
    internal ConnectionMultiplexer? Multiplexer => _multiplexer;

    /// <summary>True on a Redis Cluster (<see cref="RedisBackplaneMode.Cluster"/>): no command may span slots.</summary>
    internal bool IsCluster { get; }

    /// <summary>The deployment's channel (and key) prefix.</summary>
    internal string Prefix { get; }

    /// <summary>The configured endpoints, for log lines and health descriptions.</summary>
    internal string EndPoints { get; }

    /// <summary>Starts creating the multiplexer in the background, reporting each step to <paramref name="observer"/>.</summary>
    /// <exception cref="InvalidOperationException">The connection was started already: it has one observer.</exception>
    internal void Start(IRedisConnectionObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _observer, observer, null) is not null)
        {
            throw new InvalidOperationException("The Redis connection is already started.");
        }

        var stopping = _stopping.Token;
        Volatile.Write(ref _connecting, Task.Run(() => ConnectAsync(observer, stopping)));
    }

    /// <summary>Stops connecting and closes the multiplexer. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        if (Volatile.Read(ref _connecting) is { } connecting)
        {
            try
            {
                // Bounded: connecting waits at most for one connect attempt, itself bounded by the connect timeout.
                await connecting.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        var multiplexer = _multiplexer;
        if (multiplexer is not null)
        {
            try
            {
                await multiplexer.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Disposal must not throw; closing a connection that is already broken leaves nothing to release.
            }

            await multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    internal static TimeSpan NextRetryDelay(TimeSpan retryDelay) =>
        TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));

    internal static string DescribeEndPoint(EndPoint? endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        null => "(unknown)",
        _ => endPoint.ToString() ?? "(unknown)",
    };

    private static string DescribeEndPoints(EndPointCollection endPoints) =>
        string.Join(",", endPoints.Select(DescribeEndPoint));

    private async Task ConnectAsync(IRedisConnectionObserver observer, CancellationToken stopping)
    {
        var retryDelay = FirstRetryDelay;
        ConnectionMultiplexer multiplexer;
        while (true)
        {
            observer.OnConnecting(EndPoints);
            try
            {
                // First an attempt that fails fast and says why (AbortOnConnectFail on): a Redis that refuses the
                // credentials is reported as such, where the attempt below would wait for it without end. Once
                // connected, a multiplexer reconnects by itself whichever way it was created, so this one is kept.
                var probe = _configuration.Clone();
                probe.AbortOnConnectFail = true;
                try
                {
                    multiplexer = await ConnectionMultiplexer.ConnectAsync(probe).ConfigureAwait(false);
                    break;
                }
                catch (RedisConnectionException ex) when (ex.FailureType == ConnectionFailureType.AuthenticationFailure)
                {
                    observer.OnCredentialsRefused(EndPoints, ex.Message);
                    throw;
                }
                catch (RedisConnectionException)
                {
                    // Down or unreachable: the attempt below returns with a multiplexer that keeps reconnecting.
                }

                // With AbortOnConnectFail off this returns after the connect timeout even when Redis is down, with a
                // multiplexer that keeps reconnecting. Not cancelled on disposal: that would abandon a multiplexer
                // that is being created, and the attempt is bounded by the connect timeout anyway.
                multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
                break;
            }
            catch (RedisConnectionException ex) when (ex.FailureType == ConnectionFailureType.AuthenticationFailure)
            {
                // Reported above (and logged once until a connection succeeds); retried without a warning each time,
                // in case the password is being rotated.
            }
            catch (Exception ex)
            {
                // Retried, whatever it was: start-up must not depend on Redis.
                observer.OnConnectFailed(retryDelay, ex);
            }

            try
            {
                await Task.Delay(retryDelay, _timeProvider, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            retryDelay = NextRetryDelay(retryDelay);
        }

        if (stopping.IsCancellationRequested)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            return;
        }

        _multiplexer = multiplexer;
        observer.OnConnected(multiplexer);
    }
}
