using Xunit;
using NotifyPush.Core.Storage;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Append_WhenRetriedWithSameKey_ReturnsOriginalNotificationsAsReplay()
    {
        var userIds = new[] { NewUserId("c"), NewUserId("a"), NewUserId("b") };
        var request = NewRequest(userIds, idempotencyKey: NewIdempotencyKey());

        var first = await AppendAsync(request);

        // A retry arrives later: the store must answer with what it stored the first time.
        var retry = await AppendAsync(request with { CreatedAt = request.CreatedAt.AddSeconds(5), ExpiresAt = request.ExpiresAt.AddSeconds(5) });

        Assert.False(first.IsReplay);
        Assert.True(retry.IsReplay);
        Assert.Equal(first.Notifications, retry.Notifications);
        Assert.Equal(userIds, retry.Notifications.Select(n => n.UserId));
        foreach (var userId in userIds)
        {
            Assert.Equal(1, (await StateAsync(userId)).LastSeq);
            Assert.Single(await ReadAllAsync(userId));
        }
    }

    [Fact]
    public async Task Append_WhenRetriedAfterLaterAppends_ReturnsTheOriginalSeq()
    {
        var userId = NewUserId();
        var request = NewRequest([userId], idempotencyKey: NewIdempotencyKey());
        var first = await AppendAsync(request);
        await AppendOneAsync(userId);

        var retry = await AppendAsync(request);

        Assert.True(retry.IsReplay);
        Assert.Equal(first.Notifications, retry.Notifications);
        Assert.Equal(2, (await StateAsync(userId)).LastSeq);
    }

    [Fact]
    public async Task Append_WhenKeyIsReusedForDifferentRequest_ThrowsConflictAndStoresNothing()
    {
        var caller = NewCaller();
        var key = NewIdempotencyKey();
        var original = NewUserId("original");
        var other = NewUserId("other");
        var first = await AppendAsync(NewRequest([original], caller: caller, idempotencyKey: key, requestHash: "hash-a"));

        var conflict = await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            AppendAsync(NewRequest([original, other], caller: caller, idempotencyKey: key, requestHash: "hash-b")));

        Assert.Equal(caller, conflict.Caller);
        Assert.Equal(key, conflict.IdempotencyKey);
        Assert.Equal(first.Notifications, await ReadAllAsync(original));
        Assert.Equal(1, (await StateAsync(original)).LastSeq);
        Assert.Equal(UserStreamState.Empty, await StateAsync(other));
        Assert.Empty(await ReadAllAsync(other));
    }

    [Fact]
    public async Task Append_WhenOtherCallerUsesSameKey_StoresItsOwnNotification()
    {
        var userId = NewUserId();
        var key = NewIdempotencyKey();

        var billing = await AppendAsync(NewRequest([userId], caller: NewCaller(), idempotencyKey: key, requestHash: "hash-a"));
        var sameBody = await AppendAsync(NewRequest([userId], caller: NewCaller(), idempotencyKey: key, requestHash: "hash-a"));
        var otherBody = await AppendAsync(NewRequest([userId], caller: NewCaller(), idempotencyKey: key, requestHash: "hash-b"));

        Assert.All(new[] { billing, sameBody, otherBody }, result => Assert.False(result.IsReplay));
        Assert.Equal(Seqs(1, 3), new[] { billing, sameBody, otherBody }.Select(r => Assert.Single(r.Notifications).Seq));
        Assert.Equal(3, (await ReadAllAsync(userId)).Select(n => n.Id).Distinct().Count());
    }

    [Fact]
    public async Task Append_WhenSameKeyIsRetriedConcurrently_StoresOnce()
    {
        var userIds = new[] { NewUserId(), NewUserId(), NewUserId() };
        var request = NewRequest(userIds, idempotencyKey: NewIdempotencyKey());
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await AppendAsync(request);
        })).ToArray();

        start.SetResult();
        var results = await Bounded(Task.WhenAll(attempts));

        Assert.Single(results, result => !result.IsReplay);
        Assert.All(results, result => Assert.Equal(results[0].Notifications, result.Notifications));
        foreach (var userId in userIds)
        {
            Assert.Equal(1, (await StateAsync(userId)).LastSeq);
        }
    }
}
