using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using NotifyPush.Specification.Tests;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis.Tests;

/// <summary>
/// The connection on its own: it creates the process's one multiplexer in the background once started, reports each
/// step to its one observer, and closes the multiplexer when disposed.
/// </summary>
public sealed class RedisConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Start_CreatesTheMultiplexerInTheBackground_AndHandsItToItsOneObserver()
    {
        await using var connection = Create(TestEnvironment.RequireRedis());
        Assert.Null(connection.Multiplexer);

        var observer = new RecordingObserver();
        connection.Start(observer);
        var multiplexer = await observer.Connected.Task.WaitAsync(Timeout);

        Assert.Same(multiplexer, connection.Multiplexer);
        Assert.True(multiplexer.IsConnected);
        await multiplexer.GetDatabase().PingAsync().WaitAsync(Timeout);
        Assert.Single(observer.Connecting);
        Assert.Empty(observer.Failures);
        Assert.Throws<InvalidOperationException>(() => connection.Start(new RecordingObserver()));
    }

    [Fact]
    public async Task Start_WhenRedisIsDown_StillCreatesAMultiplexerThatKeepsReconnecting()
    {
        await using var connection = Create($"127.0.0.1:{FreePorts.One()},connectTimeout=500");
        var observer = new RecordingObserver();

        connection.Start(observer);
        var multiplexer = await observer.Connected.Task.WaitAsync(Timeout);

        // Start-up does not wait for Redis: the multiplexer exists, is not connected, and its users see that.
        Assert.Same(multiplexer, connection.Multiplexer);
        Assert.False(multiplexer.IsConnected);
        Assert.Empty(observer.Refusals);
    }

    [Fact]
    public async Task Start_WhenRedisRefusesThePassword_ReportsEachRefusalAndKeepsTrying()
    {
        await using var redis = await SecuredRedisServer.StartAsync();
        await using var connection = Create($"127.0.0.1:{redis.Port},password=wrong-secret-2b9e,connectTimeout=2000");
        var observer = new RecordingObserver();

        connection.Start(observer);
        await Poll.UntilAsync(() => observer.Refusals.Count >= 2, "two refused attempts", Timeout);

        Assert.All(observer.Refusals, endPoints => Assert.Equal($"127.0.0.1:{redis.Port}", endPoints));
        Assert.True(observer.Connecting.Count >= 2);
        Assert.Null(connection.Multiplexer);
        Assert.False(observer.Connected.Task.IsCompleted);
    }

    [Fact]
    public async Task DisposeAsync_ClosesTheMultiplexerOnce_AndAStoppedConnectionCannotStartAgain()
    {
        var connection = Create(TestEnvironment.RequireRedis());
        var observer = new RecordingObserver();
        connection.Start(observer);
        var multiplexer = await observer.Connected.Task.WaitAsync(Timeout);

        await connection.DisposeAsync();
        Assert.False(multiplexer.IsConnected);
        await connection.DisposeAsync();

        var unstarted = Create(TestEnvironment.RequireRedis());
        await unstarted.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => unstarted.Start(new RecordingObserver()));
        Assert.Null(unstarted.Multiplexer);
    }

    private static RedisConnection Create(string configuration) =>
        new(Options.Create(new RedisBackplaneOptions { Configuration = configuration, ChannelPrefix = RedisBackplanes.NewPrefix() }), TimeProvider.System);

    private sealed class RecordingObserver : IRedisConnectionObserver
    {
        public ConcurrentQueue<string> Connecting { get; } = new();

        public ConcurrentQueue<Exception> Failures { get; } = new();

        public ConcurrentQueue<string> Refusals { get; } = new();

        public TaskCompletionSource<ConnectionMultiplexer> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnConnecting(string endPoints) => Connecting.Enqueue(endPoints);

        public void OnConnectFailed(TimeSpan retryDelay, Exception exception) => Failures.Enqueue(exception);

        public void OnCredentialsRefused(string endPoints, string reason) => Refusals.Enqueue(endPoints);

        public void OnConnected(ConnectionMultiplexer multiplexer)
        {
            if (!Connected.TrySetResult(multiplexer))
            {
                throw new InvalidOperationException("The connection reported its multiplexer twice.");
            }
        }
    }
}
