using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Initialize_WhenCalledAgain_KeepsDataAndNumbering()
    {
        var userId = NewUser();
        var first = await AppendOneAsync(userId);

        await Bounded(Store.InitializeAsync(TestCancellation));
        await Bounded(Store.InitializeAsync(TestCancellation));

        Assert.Equal(first, Assert.Single(await ReadAllAsync(userId)));
        Assert.Equal(2, (await AppendOneAsync(userId)).Seq);
    }

    [Fact]
    public async Task Ping_WhenStoreIsUp_Succeeds()
    {
        var failure = await Record.ExceptionAsync(() => Bounded(Store.PingAsync(TestCancellation)));

        Assert.Null(failure);
    }

    [Fact]
    public async Task Append_WhenCancelledBeforehand_StoresNothing()
    {
        var userId = NewUser();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Bounded(Store.AppendAsync(NewRequest([userId]), cancelled.Token)));

        Assert.Equal(UserStreamState.Empty, await StateAsync(userId));
    }
}
