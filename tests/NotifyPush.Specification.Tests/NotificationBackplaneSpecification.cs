using System.Text;
using NotifyPush.Core.Backplane;
using Xunit;

namespace NotifyPush.Specification.Tests;

/// <summary>
/// Behaviour every <see cref="INotificationBackplane"/> must show on a single replica. A backplane's test project
/// derives from this class and supplies <see cref="CreateBackplaneAsync"/>; every test below then runs against it.
/// </summary>
/// <remarks>
/// Each test gets a fresh backplane (for Redis: its own channel prefix), so literal user ids such as <c>*</c> can be
/// reused across tests. "Nothing arrives" is proven without waiting for time to pass: a sentinel message is published
/// afterwards to a subscribed user, and a backplane delivers one publisher's messages in order, so once the sentinel
/// is in, anything published before it would be in too.
/// </remarks>
public abstract class NotificationBackplaneSpecification : IAsyncLifetime
{
    /// <summary>The bound of every wait in these tests.</summary>
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private INotificationBackplane? _backplane;

    /// <summary>The backplane under test, its listener set to <see cref="Listener"/>.</summary>
    protected INotificationBackplane Backplane => _backplane ?? throw new InvalidOperationException("The backplane is not created yet.");

    /// <summary>Records what reaches the backplane's listener.</summary>
    protected RecordingBackplaneListener Listener { get; } = new();

    /// <summary>Creates a fresh backplane, without a listener. Called once per test.</summary>
    protected abstract Task<INotificationBackplane> CreateBackplaneAsync();

    /// <summary>Releases a backplane created by <see cref="CreateBackplaneAsync"/>.</summary>
    protected virtual ValueTask DisposeBackplaneAsync(INotificationBackplane backplane) =>
        backplane is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;

    public async Task InitializeAsync()
    {
        _backplane = await CreateBackplaneAsync().WaitAsync(Timeout * 2);
        _backplane.SetListener(Listener);
    }

    public async Task DisposeAsync()
    {
        if (_backplane is not null)
        {
            await DisposeBackplaneAsync(_backplane).AsTask().WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Publish_WhenUserIsSubscribed_ListenerReceivesKindUserIdSeqAndFrameIntact()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        // Every byte value, not only JSON text: the backplane must carry the frame as is.
        var frame = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Encoding.UTF8.GetBytes("{\"type\":\"notification\",\"payload\":\"ü€😀\"}")).ToArray();

        await Backplane.PublishAsync([new BackplaneMessage(BackplaneMessageKind.Notification, "u1", 42, frame)], default).WaitAsync(Timeout);

        var received = Assert.Single(await Listener.WaitForMessagesAsync("u1", 1, Timeout));
        Assert.Equal(BackplaneMessageKind.Notification, received.Kind);
        Assert.Equal("u1", received.UserId);
        Assert.Equal(42, received.Seq);
        Assert.Equal(frame, received.Frame.ToArray());
    }

    [Fact]
    public async Task Publish_WhenFrameIsLarge_ArrivesIntact()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        var frame = new byte[512 * 1024];
        new Random(7).NextBytes(frame);

        await Backplane.PublishAsync([Notification("u1", 1) with { Frame = frame }], default).WaitAsync(Timeout);

        var received = Assert.Single(await Listener.WaitForMessagesAsync("u1", 1, Timeout));
        Assert.Equal(frame, received.Frame.ToArray());
    }

    [Fact]
    public async Task Publish_WhenUserIsSubscribed_MessagesArriveInPublishOrder()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);

        // One batch, then single publishes: order holds within a call and across sequential calls.
        await Backplane.PublishAsync(Enumerable.Range(1, 20).Select(seq => Notification("u1", seq)).ToArray(), default).WaitAsync(Timeout);
        for (var seq = 21; seq <= 40; seq++)
        {
            await Backplane.PublishAsync([Notification("u1", seq)], default).WaitAsync(Timeout);
        }

        var received = await Listener.WaitForMessagesAsync("u1", 40, Timeout);
        Assert.Equal(Enumerable.Range(1, 40).Select(seq => (long)seq), received.Select(message => message.Seq));
        Assert.All(received, message => Assert.Equal(Frame("u1", message.Seq), message.Frame.ToArray()));
    }

    [Fact]
    public async Task Publish_WhenUserNeverSubscribed_NothingArrives()
    {
        await Backplane.SubscribeAsync("subscribed", default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification("never-subscribed", 1)], default).WaitAsync(Timeout);

        await AssertNothingArrivedAsync("never-subscribed");
    }

    [Fact]
    public async Task Publish_AfterUnsubscribe_NothingArrives()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await Listener.WaitForMessagesAsync("u1", 1, Timeout);

        await Backplane.UnsubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.PublishAsync([Notification("u1", 2)], default).WaitAsync(Timeout);

        await AssertNothingArrivedAsync("u1", alreadyReceived: 1);
    }

    [Fact]
    public async Task Subscribe_AfterUnsubscribe_MessagesArriveAgain()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.UnsubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);

        var received = Assert.Single(await Listener.WaitForMessagesAsync("u1", 1, Timeout));
        Assert.Equal(1, received.Seq);
    }

    [Fact]
    public async Task Unsubscribe_WhenUserNeverSubscribed_DoesNothing()
    {
        await Backplane.UnsubscribeAsync("never-subscribed", default).WaitAsync(Timeout);

        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.PublishAsync([Notification("u1", 1)], default).WaitAsync(Timeout);
        await Listener.WaitForMessagesAsync("u1", 1, Timeout);
    }

    [Fact]
    public async Task Publish_WhenUserIdIsStar_OnlyThatUserReceives()
    {
        // A pattern subscription to "*" would receive every user's messages.
        await Backplane.SubscribeAsync("*", default).WaitAsync(Timeout);
        await Backplane.SubscribeAsync("alice", default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification("alice", 1), Notification("bob", 1), Notification("*", 1)], default).WaitAsync(Timeout);

        var star = Assert.Single(await Listener.WaitForMessagesAsync("*", 1, Timeout));
        Assert.Equal("*", star.UserId);
        Assert.Equal(Frame("*", 1), star.Frame.ToArray());
        var alice = Assert.Single(await Listener.WaitForMessagesAsync("alice", 1, Timeout));
        Assert.Equal("alice", alice.UserId);
        await AssertNothingArrivedAsync("bob");
        Assert.Single(Listener.ReceivedFor("*"));
        Assert.Single(Listener.ReceivedFor("alice"));
    }

    [Theory]
    [InlineData("a:b", "a")]
    [InlineData("a:b", "b")]
    [InlineData("a*", "ab")]
    [InlineData("a?", "ab")]
    [InlineData("[x]", "x")]
    [InlineData("user:1", "1")]
    [InlineData("Zoë 用户 🚀", "Zoe")]
    [InlineData("Zoë 用户 🚀", "Zoë 用户")]
    public async Task Publish_WhenUserIdHasPatternSeparatorOrNonAsciiCharacters_OnlyThatUserReceives(string userId, string neighbourId)
    {
        await Backplane.SubscribeAsync(userId, default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification(neighbourId, 1), Notification(userId, 2)], default).WaitAsync(Timeout);

        var received = Assert.Single(await Listener.WaitForMessagesAsync(userId, 1, Timeout));
        Assert.Equal(userId, received.UserId);
        Assert.Equal(2, received.Seq);
        Assert.Equal(Frame(userId, 2), received.Frame.ToArray());
        await AssertNothingArrivedAsync(neighbourId);
        Assert.Single(Listener.ReceivedFor(userId));
    }

    [Theory]
    [InlineData("a:b", "a")]
    [InlineData("a*", "ab")]
    [InlineData("*", "anyone")]
    public async Task Publish_WhenOnlyTheNeighbourIsSubscribed_UserWithSimilarIdReceivesNothing(string userId, string neighbourId)
    {
        await Backplane.SubscribeAsync(neighbourId, default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification(userId, 1), Notification(neighbourId, 2)], default).WaitAsync(Timeout);

        var received = Assert.Single(await Listener.WaitForMessagesAsync(neighbourId, 1, Timeout));
        Assert.Equal(neighbourId, received.UserId);
        Assert.Equal(2, received.Seq);
        await AssertNothingArrivedAsync(userId);
    }

    [Fact]
    public async Task Disconnect_WhenUserIsSubscribed_RoutesLikeNotifications()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.SubscribeAsync("u2", default).WaitAsync(Timeout);

        await Backplane.PublishAsync(
            [Notification("u1", 1), new BackplaneMessage(BackplaneMessageKind.Disconnect, "u1", 0, ReadOnlyMemory<byte>.Empty), Notification("u1", 2), new BackplaneMessage(BackplaneMessageKind.Disconnect, "not-subscribed", 0, ReadOnlyMemory<byte>.Empty)],
            default).WaitAsync(Timeout);

        var received = await Listener.WaitForMessagesAsync("u1", 3, Timeout);
        Assert.Equal(
            [BackplaneMessageKind.Notification, BackplaneMessageKind.Disconnect, BackplaneMessageKind.Notification],
            received.Select(message => message.Kind));
        Assert.Equal(0, received[1].Seq);
        Assert.True(received[1].Frame.IsEmpty);
        Assert.Empty(Listener.ReceivedFor("u2"));
        await AssertNothingArrivedAsync("not-subscribed");
    }

    [Fact]
    public async Task Publish_WhenBatchAddressesSeveralUsers_EachReceivesOnlyTheirOwn()
    {
        await Backplane.SubscribeAsync("u1", default).WaitAsync(Timeout);
        await Backplane.SubscribeAsync("u2", default).WaitAsync(Timeout);

        await Backplane.PublishAsync([Notification("u1", 1), Notification("u2", 1), Notification("u3", 1), Notification("u2", 2), Notification("u1", 2)], default).WaitAsync(Timeout);

        Assert.Equal([1L, 2L], (await Listener.WaitForMessagesAsync("u1", 2, Timeout)).Select(message => message.Seq));
        Assert.Equal([1L, 2L], (await Listener.WaitForMessagesAsync("u2", 2, Timeout)).Select(message => message.Seq));
        Assert.All(Listener.ReceivedFor("u2"), message => Assert.Equal("u2", message.UserId));
        await AssertNothingArrivedAsync("u3");
    }

    [Fact]
    public async Task Publish_ThousandMessagesForHundredUsers_KeepsPerUserOrder()
    {
        var users = Enumerable.Range(0, 100).Select(i => $"user-{i}").ToArray();
        foreach (var user in users)
        {
            await Backplane.SubscribeAsync(user, default).WaitAsync(Timeout);
        }

        // Ten batches of 100, users interleaved inside each batch: message i goes to user i % 100.
        var messages = Enumerable.Range(0, 1000).Select(i => Notification(users[i % 100], (i / 100) + 1)).ToArray();
        foreach (var batch in messages.Chunk(100))
        {
            await Backplane.PublishAsync(batch, default).WaitAsync(Timeout);
        }

        foreach (var user in users)
        {
            var received = await Listener.WaitForMessagesAsync(user, 10, Timeout);
            Assert.Equal(Enumerable.Range(1, 10).Select(seq => (long)seq), received.Select(message => message.Seq));
            Assert.All(received, message => Assert.Equal(user, message.UserId));
        }

        Assert.Equal(1000, Listener.MessageCount);
    }

    [Fact]
    public async Task Publish_WhenBatchIsEmpty_Completes()
    {
        await Backplane.PublishAsync([], default).WaitAsync(Timeout);

        Assert.Equal(0, Listener.MessageCount);
    }

    [Fact]
    public async Task GetHealth_WhenBackplaneIsUp_ReportsConnected()
    {
        var health = await WaitForHealthAsync(Backplane, expectConnected: true);

        Assert.True(health.IsConnected);
        Assert.Null(health.DisconnectedSince);
        Assert.False(string.IsNullOrWhiteSpace(health.Description));
    }

    /// <summary>A notification message whose frame names its user and seq.</summary>
    protected static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, Frame(userId, seq));

    /// <summary>The frame <see cref="Notification"/> sends.</summary>
    protected static byte[] Frame(string userId, long seq) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"notification\",\"seq\":{seq},\"user\":\"{userId}\"}}");

    /// <summary>
    /// Proves that nothing (more) arrived for <paramref name="userId"/>: publishes a sentinel to a freshly subscribed
    /// user through <paramref name="publisher"/> (default: the backplane under test), waits for it, then checks.
    /// </summary>
    protected async Task AssertNothingArrivedAsync(string userId, int alreadyReceived = 0, INotificationBackplane? publisher = null)
    {
        var sentinel = $"sentinel-{Guid.NewGuid():N}";
        await Backplane.SubscribeAsync(sentinel, default).WaitAsync(Timeout);
        await (publisher ?? Backplane).PublishAsync([Notification(sentinel, 1)], default).WaitAsync(Timeout);
        await Listener.WaitForMessagesAsync(sentinel, 1, Timeout);

        Assert.Equal(alreadyReceived, Listener.ReceivedFor(userId).Count);
    }

    /// <summary>Polls <see cref="INotificationBackplane.GetHealth"/> until it reports the expected state, bounded by <see cref="Timeout"/>.</summary>
    /// <remarks>Polled: the health has no change notification.</remarks>
    protected static Task<BackplaneHealth> WaitForHealthAsync(INotificationBackplane backplane, bool expectConnected) =>
        Poll.UntilAsync(backplane.GetHealth, health => health.IsConnected == expectConnected, $"IsConnected={expectConnected}", Timeout, health => health.ToString());
}
