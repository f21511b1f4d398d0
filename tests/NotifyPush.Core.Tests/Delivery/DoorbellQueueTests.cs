using Microsoft.Extensions.Logging.Testing;
using NotifyPush.Core.Backplane;
using NotifyPush.Core.Delivery;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Core.Options;

namespace NotifyPush.Core.Tests.Delivery;

/// <summary>The publish queue between a committed send and the backplane: ordered, bounded, never blocking the sender.</summary>
public sealed class DoorbellQueueTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WhileTheBackplaneIsStuck_EnqueueReturnsAtOnce_AndEverythingRingsInOrderAfterwards()
    {
        var backplane = new GatedBackplane();
        var queue = new DoorbellQueue(backplane, new FakeLogger<DoorbellQueue>());
        await queue.StartAsync(CancellationToken.None);

        queue.Enqueue([Ring("u1", 1)]);
        await backplane.FirstPublishStarted.Task.WaitAsync(Timeout);

        // The first publish hangs; the next sends queue behind it without waiting.
        for (var seq = 2; seq <= 50; seq++)
        {
            queue.Enqueue([Ring("u1", seq), Ring("u2", seq)]);
        }

        backplane.Open();
        await Poll.UntilAsync(() => backplane.Published.Count(m => m.UserId == "u1") == 50, "the doorbells of u1 rang", Timeout);

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), backplane.Published.Where(m => m.UserId == "u1").Select(m => m.Seq));
        Assert.Equal(Enumerable.Range(2, 49).Select(i => (long)i), backplane.Published.Where(m => m.UserId == "u2").Select(m => m.Seq));
        Assert.True(backplane.Calls < 50, $"What waited went out in few publishes, not one per send: {backplane.Calls}.");
        await queue.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task BeyondItsCapacity_ItKeepsTheNewestDoorbellPerUser_AndRingsThemAfterTheQueue()
    {
        var backplane = new GatedBackplane();
        var logger = new FakeLogger<DoorbellQueue>();
        var queue = new DoorbellQueue(backplane, logger);
        await queue.StartAsync(CancellationToken.None);
        queue.Enqueue([Ring("first", 1)]);
        await backplane.FirstPublishStarted.Task.WaitAsync(Timeout);

        // Fill the queue, then 3 users go over it with 10 doorbells each.
        var filler = Enumerable.Range(1, queue.Capacity).Select(i => Ring("filler", i)).ToArray();
        queue.Enqueue(filler);
        for (var seq = 1; seq <= 10; seq++)
        {
            queue.Enqueue([Ring("a", seq), Ring("b", seq), Ring("c", seq)]);
        }

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == NotifyPushEventIds.DoorbellQueueFull);
        backplane.Open();
        await Poll.UntilAsync(() => backplane.Published.Count(m => m.UserId is "a" or "b" or "c") == 3, "the doorbells of a, b and c rang", Timeout);

        // Each over-capacity user rings once, with its newest seq, after every queued doorbell.
        var published = backplane.Published.ToList();
        Assert.Equal(queue.Capacity + 1 + 3, published.Count);
        Assert.Equal([10L, 10L, 10L], published.TakeLast(3).Select(m => m.Seq));
        Assert.Equal(["a", "b", "c"], published.TakeLast(3).Select(m => m.UserId).Order());
        await queue.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task BeyondItsByteBound_ItKeepsTheNewestDoorbellPerUserWithoutItsFrame_AndCountsASharedPayloadOnce()
    {
        var backplane = new GatedBackplane();
        var options = Microsoft.Extensions.Options.Options.Create(new DeliveryOptions { DoorbellQueueBytes = 256 * 1024 });
        var queue = new DoorbellQueue(backplane, new FakeLogger<DoorbellQueue>(), options);
        await queue.StartAsync(CancellationToken.None);
        queue.Enqueue([Ring("first", 1)]);
        await backplane.FirstPublishStarted.Task.WaitAsync(Timeout);

        // One send of a 60 KB payload to 500 users fits: its recipients share the payload, counted once.
        var shared = new byte[60 * 1024];
        queue.Enqueue(Enumerable.Range(0, 500).Select(i => Ring($"fan-{i}", 1) with { FrameTail = shared }).ToArray());
        Assert.InRange(queue.WaitingBytes, shared.Length, 256 * 1024);

        // Sends of their own payload each go past the bound after a few: the rest are kept as user and seq only.
        for (var seq = 1; seq <= 20; seq++)
        {
            queue.Enqueue([Ring("big", seq) with { FrameTail = new byte[60 * 1024] }]);
        }

        Assert.InRange(queue.WaitingBytes, 0, 256 * 1024);
        backplane.Open();
        await Poll.UntilAsync(() => backplane.Published.Any(m => m.UserId == "big" && m.Seq == 20), "the doorbell of big at seq 20 rang", Timeout);

        var big = backplane.Published.Where(m => m.UserId == "big").ToList();
        Assert.Equal(Enumerable.Range(1, 500).Count(), backplane.Published.Count(m => m.UserId.StartsWith("fan-", StringComparison.Ordinal)));
        Assert.True(big.Count < 20, $"Every send fit in the byte bound: {big.Count}.");
        Assert.True(big[^1].IsFrameless, "The doorbell kept beyond the bound carries no frame.");
        Assert.All(big.SkipLast(1), m => Assert.Equal(60 * 1024, m.FrameTail.Length));
        await queue.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_RingsWhatIsStillQueued()
    {
        var backplane = new GatedBackplane();
        var queue = new DoorbellQueue(backplane, new FakeLogger<DoorbellQueue>());
        await queue.StartAsync(CancellationToken.None);
        queue.Enqueue([Ring("u1", 1)]);
        await backplane.FirstPublishStarted.Task.WaitAsync(Timeout);
        queue.Enqueue([Ring("u1", 2), Ring("u1", 3)]);

        var stopping = queue.StopAsync(CancellationToken.None);
        backplane.Open();
        await stopping.WaitAsync(Timeout);

        Assert.Equal([1L, 2L, 3L], backplane.Published.Select(m => m.Seq));
    }

    private static BackplaneMessage Ring(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, new byte[] { (byte)'{', (byte)'}' });

    /// <summary>A backplane whose publishes wait until the test opens it: a frozen broker.</summary>
    private sealed class GatedBackplane : INotificationBackplane
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _sync = new();
        private readonly List<BackplaneMessage> _published = [];
        private int _calls;

        public TaskCompletionSource FirstPublishStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public IReadOnlyList<BackplaneMessage> Published
        {
            get
            {
                lock (_sync)
                {
                    return [.. _published];
                }
            }
        }

        public void Open() => _open.TrySetResult();

        public async Task PublishAsync(IReadOnlyList<BackplaneMessage> messages, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            FirstPublishStarted.TrySetResult();
            await _open.Task;
            lock (_sync)
            {
                _published.AddRange(messages);
            }
        }

        public void SetListener(IBackplaneListener listener)
        {
        }

        public Task SubscribeAsync(string userId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task UnsubscribeAsync(string userId, CancellationToken cancellationToken) => Task.CompletedTask;

        public BackplaneHealth GetHealth() => new(true, null, "gated");
    }
}
