using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Append_WhenRetriedWithSameKey_ReturnsOriginalNotificationsAsReplay()
    {
        var userIds = new[] { NewUser("c"), NewUser("a"), NewUser("b") };
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
        var userId = NewUser();
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
        var original = NewUser("original");
        var other = NewUser("other");
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
        var userId = NewUser();
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
        var userIds = new[] { NewUser(), NewUser(), NewUser() };
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
    [Fact]
    public async Task Append_WhenRetriedAfterRetentionRemovedTheDeliveredNotifications_ReturnsTheOriginalResultAndStoresNothing()
    {
        var now = UtcNow();
        var longAgo = now - TimeSpan.FromHours(2);
        var userIds = new[] { NewUser("b"), NewUser("a") };
        var request = NewRequest(userIds, idempotencyKey: NewIdempotencyKey(), createdAt: longAgo, expiresAt: now.AddDays(7));
        var first = await AppendAsync(request);
        await AcknowledgeAsync(userIds.Select(userId => new StreamAck(userId, 1)).ToArray());
        await CleanupUntilDoneAsync(now, TimeSpan.FromHours(1));
        foreach (var userId in userIds)
        {
            Assert.Empty(await ReadAllAsync(userId, now: longAgo));
        }

        // The service retries long after the notifications were delivered and cleaned up, well within the key's window.
        var retry = await AppendAsync(request with { CreatedAt = now, ExpiresAt = now.AddDays(7) });

        Assert.True(retry.IsReplay);
        Assert.Equal(first.Notifications, retry.Notifications);
        foreach (var userId in userIds)
        {
            Assert.Equal(new UserStreamState(LastSeq: 1, AckedSeq: 1, PrunedSeq: 1), await StateAsync(userId));
            Assert.Empty(await ReadAllAsync(userId, now: longAgo));
        }
    }

    [Fact]
    public async Task Append_WhenRetriedAfterTheNotificationExpiredAndWasCleanedUp_ReturnsTheOriginalResultAndStoresNothing()
    {
        var now = UtcNow();
        var userId = NewUser();
        var request = NewRequest([userId], idempotencyKey: NewIdempotencyKey(), createdAt: now.AddMinutes(-10), expiresAt: now.AddMinutes(-9));
        var first = await AppendAsync(request);
        await CleanupUntilDoneAsync(now, TimeSpan.FromDays(1));
        Assert.Equal(1, (await StateAsync(userId)).PrunedSeq);

        var retry = await AppendAsync(request with { CreatedAt = now, ExpiresAt = now.AddMinutes(1) });

        Assert.True(retry.IsReplay);
        Assert.Equal(first.Notifications, retry.Notifications);
        Assert.Equal(1, (await StateAsync(userId)).LastSeq);
        Assert.Empty(await ReadAllAsync(userId, now: request.CreatedAt));
    }

    [Fact]
    public async Task Append_WhenKeyIsReusedForDifferentRequestAfterItsNotificationsWereCleanedUp_ThrowsConflictAndStoresNothing()
    {
        var now = UtcNow();
        var caller = NewCaller();
        var key = NewIdempotencyKey();
        var userId = NewUser();
        await AppendAsync(NewRequest([userId], caller: caller, idempotencyKey: key, requestHash: "hash-a", createdAt: now.AddMinutes(-10), expiresAt: now.AddMinutes(-9)));
        await CleanupUntilDoneAsync(now, TimeSpan.FromDays(1));

        await Assert.ThrowsAsync<IdempotencyConflictException>(() =>
            AppendAsync(NewRequest([userId], caller: caller, idempotencyKey: key, requestHash: "hash-b", createdAt: now)));

        Assert.Equal(1, (await StateAsync(userId)).LastSeq);
        Assert.Empty(await ReadAllAsync(userId));
    }
    [Fact]
    public async Task CleanupIdempotencyKeys_ForgetsKeysOlderThanTheWindowAndKeepsTheOthers()
    {
        var now = UtcNow();
        var window = TimeSpan.FromHours(24);
        var caller = NewCaller();
        var userId = NewUser();
        var old = NewRequest([userId], caller: caller, idempotencyKey: NewIdempotencyKey(), createdAt: now - window - TimeSpan.FromSeconds(1), expiresAt: now.AddDays(1));
        var atTheEdge = NewRequest([userId], caller: caller, idempotencyKey: NewIdempotencyKey(), createdAt: now - window, expiresAt: now.AddDays(1));
        var recent = NewRequest([userId], caller: caller, idempotencyKey: NewIdempotencyKey(), createdAt: now.AddHours(-1), expiresAt: now.AddDays(1));
        await AppendAsync(old);
        var edgeOriginal = await AppendAsync(atTheEdge);
        var recentOriginal = await AppendAsync(recent);

        var pass = await Bounded(Store.CleanupIdempotencyKeysAsync(now, window, batchSize: 100, TestCancellation));

        Assert.Equal(new CleanupResult(Deleted: 1, HasMore: false), pass);
        Assert.Equal(edgeOriginal.Notifications, (await AppendAsync(atTheEdge)).Notifications);
        Assert.Equal(recentOriginal.Notifications, (await AppendAsync(recent)).Notifications);

        // The forgotten key is new again: the retry is stored as a new notification. The others are untouched.
        var afterWindow = await AppendAsync(old with { CreatedAt = now });
        Assert.False(afterWindow.IsReplay);
        Assert.Equal(4, Assert.Single(afterWindow.Notifications).Seq);
        Assert.Equal(Seqs(1, 4), (await ReadAllAsync(userId)).Select(n => n.Seq));
    }

    [Fact]
    public async Task CleanupIdempotencyKeys_WhenMoreKeysAreDueThanTheBatchSize_ReportsHasMore()
    {
        var now = UtcNow();
        var window = TimeSpan.FromHours(1);
        var caller = NewCaller();
        var requests = Enumerable.Range(0, 5)
            .Select(_ => NewRequest([NewUser()], caller: caller, idempotencyKey: NewIdempotencyKey(), createdAt: now.AddHours(-2), expiresAt: now.AddDays(1)))
            .ToList();
        foreach (var request in requests)
        {
            await AppendAsync(request);
        }

        var firstPass = await Bounded(Store.CleanupIdempotencyKeysAsync(now, window, batchSize: 2, TestCancellation));
        Assert.Equal(new CleanupResult(Deleted: 2, HasMore: true), firstPass);
        CleanupResult pass;
        do
        {
            pass = await Bounded(Store.CleanupIdempotencyKeysAsync(now, window, batchSize: 2, TestCancellation));
        }
        while (pass.HasMore);

        foreach (var request in requests)
        {
            Assert.False((await AppendAsync(request with { CreatedAt = now })).IsReplay);
        }
    }

    [Fact]
    public async Task CleanupIdempotencyKeys_LeavesTheNotificationsOfAForgottenKey()
    {
        var now = UtcNow();
        var userId = NewUser();
        var request = NewRequest([userId], idempotencyKey: NewIdempotencyKey(), createdAt: now.AddDays(-2), expiresAt: now.AddDays(1));
        var original = await AppendAsync(request);

        await Bounded(Store.CleanupIdempotencyKeysAsync(now, TimeSpan.FromHours(24), batchSize: 100, TestCancellation));

        Assert.Equal(original.Notifications, await ReadAllAsync(userId));
    }
}
