using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>The store under test as the Web Push store it also is.</summary>
    private IWebPushStore WebPush =>
        Store as IWebPushStore ?? throw new Xunit.Sdk.XunitException($"{Store.GetType().Name} does not implement {nameof(IWebPushStore)}.");

    private static PushSubscriptionRecord NewSubscription(string userId, DateTimeOffset? createdAt = null) =>
        new(userId, $"https://push.example/{Guid.NewGuid():N}", "BP256dh-key", "auth-secret", createdAt ?? UtcNow());

    /// <summary>Claims due jobs (far in the future, so every due job of every test qualifies) until this user's show up.</summary>
    private async Task<List<PushJob>> ClaimJobsOfAsync(string userId, DateTimeOffset now)
    {
        var claimed = await Bounded(WebPush.ClaimPushJobsAsync(now, Lease, 10_000, TestCancellation));
        return claimed.Where(job => job.UserId == userId).ToList();
    }

    [Fact]
    public async Task PushSubscriptions_AreSavedPerUser_AndReadBackOldestFirst()
    {
        var (userId, other) = (NewUser(), NewUser());
        var first = NewSubscription(userId, UtcNow().AddMinutes(-1));
        var second = NewSubscription(userId);

        Assert.True(await Bounded(WebPush.SavePushSubscriptionAsync(second, 5, TestCancellation)));
        Assert.True(await Bounded(WebPush.SavePushSubscriptionAsync(first, 5, TestCancellation)));

        Assert.Equal([first, second], await Bounded(WebPush.GetPushSubscriptionsAsync(userId, TestCancellation)));
        Assert.Empty(await Bounded(WebPush.GetPushSubscriptionsAsync(other, TestCancellation)));
    }

    [Fact]
    public async Task SavePushSubscription_OverTheCap_SavesNothing_ButSavingOneAgainIsAllowed()
    {
        var userId = NewUser();
        var kept = NewSubscription(userId);
        Assert.True(await Bounded(WebPush.SavePushSubscriptionAsync(kept, 1, TestCancellation)));

        Assert.False(await Bounded(WebPush.SavePushSubscriptionAsync(NewSubscription(userId), 1, TestCancellation)));
        Assert.True(await Bounded(WebPush.SavePushSubscriptionAsync(kept with { Auth = "new-secret" }, 1, TestCancellation)));

        var only = Assert.Single(await Bounded(WebPush.GetPushSubscriptionsAsync(userId, TestCancellation)));
        Assert.Equal("new-secret", only.Auth);
    }

    [Fact]
    public async Task SavePushSubscription_OfAnEndpointAnotherUserHad_MovesItToTheNewUser()
    {
        var (before, after) = (NewUser(), NewUser());
        var subscription = NewSubscription(before);
        await Bounded(WebPush.SavePushSubscriptionAsync(subscription, 5, TestCancellation));

        await Bounded(WebPush.SavePushSubscriptionAsync(subscription with { UserId = after }, 5, TestCancellation));

        Assert.Empty(await Bounded(WebPush.GetPushSubscriptionsAsync(before, TestCancellation)));
        Assert.Equal(subscription.Endpoint, Assert.Single(await Bounded(WebPush.GetPushSubscriptionsAsync(after, TestCancellation))).Endpoint);
    }

    [Fact]
    public async Task DeletePushSubscription_RemovesOnlyThatUsersEndpoint()
    {
        var (userId, other) = (NewUser(), NewUser());
        var subscription = NewSubscription(userId);
        var kept = NewSubscription(userId);
        await Bounded(WebPush.SavePushSubscriptionAsync(subscription, 5, TestCancellation));
        await Bounded(WebPush.SavePushSubscriptionAsync(kept, 5, TestCancellation));

        Assert.False(await Bounded(WebPush.DeletePushSubscriptionAsync(other, subscription.Endpoint, TestCancellation)));
        Assert.True(await Bounded(WebPush.DeletePushSubscriptionAsync(userId, subscription.Endpoint, TestCancellation)));
        Assert.False(await Bounded(WebPush.DeletePushSubscriptionAsync(userId, subscription.Endpoint, TestCancellation)));

        Assert.Equal([kept], await Bounded(WebPush.GetPushSubscriptionsAsync(userId, TestCancellation)));
    }

    [Fact]
    public async Task DeletePushSubscriptions_RemovesEveryOneOfTheUser()
    {
        var (userId, other) = (NewUser(), NewUser());
        await Bounded(WebPush.SavePushSubscriptionAsync(NewSubscription(userId), 5, TestCancellation));
        await Bounded(WebPush.SavePushSubscriptionAsync(NewSubscription(userId), 5, TestCancellation));
        await Bounded(WebPush.SavePushSubscriptionAsync(NewSubscription(other), 5, TestCancellation));

        Assert.Equal(2, await Bounded(WebPush.DeletePushSubscriptionsAsync(userId, TestCancellation)));

        Assert.Empty(await Bounded(WebPush.GetPushSubscriptionsAsync(userId, TestCancellation)));
        Assert.Single(await Bounded(WebPush.GetPushSubscriptionsAsync(other, TestCancellation)));
    }

    [Fact]
    public async Task Append_WithWebPush_QueuesOneJobPerRecipient_WithTheNotificationsSeqAndId()
    {
        var (first, second) = (NewUser(), NewUser());
        var content = new WebPushContent("Shipped", "Order 42 is on its way", "/orders/42");
        var result = await AppendAsync(NewRequest([first, second]) with { WebPush = content });

        var claimed = await Bounded(WebPush.ClaimPushJobsAsync(UtcNow().AddMinutes(1), Lease, 10_000, TestCancellation));
        foreach (var notification in result.Notifications)
        {
            var job = Assert.Single(claimed, job => job.UserId == notification.UserId);
            Assert.Equal(notification.Seq, job.Seq);
            Assert.Equal(notification.Id, job.NotificationId);
            Assert.Equal(content, job.Content);
            Assert.Equal("test.event", job.Type);
            Assert.Equal(notification.ExpiresAt, job.ExpiresAt);
            Assert.False(job.PresenceChecked);
            Assert.Equal(0, job.Attempts);
        }
    }

    [Fact]
    public async Task Append_WithoutWebPush_QueuesNoJob()
    {
        var userId = NewUser();
        await AppendOneAsync(userId);

        Assert.Empty(await ClaimJobsOfAsync(userId, UtcNow().AddMinutes(1)));
    }

    [Fact]
    public async Task Append_WithWebPush_AndAUsedIdempotencyKey_QueuesNoSecondJob()
    {
        var userId = NewUser();
        var request = NewRequest([userId], idempotencyKey: NewIdempotencyKey()) with { WebPush = new WebPushContent("t", "b", null) };
        await AppendAsync(request);
        Assert.True((await AppendAsync(request)).IsReplay);

        Assert.Single(await ClaimJobsOfAsync(userId, UtcNow().AddMinutes(1)));
    }

    [Fact]
    public async Task ClaimedJob_IsNotClaimedAgain_UntilItsLeaseRunsOut()
    {
        var userId = NewUser();
        await AppendAsync(NewRequest([userId]) with { WebPush = new WebPushContent("t", "b", null) });
        var now = UtcNow().AddMinutes(1);
        var job = Assert.Single(await ClaimJobsOfAsync(userId, now));

        Assert.Empty(await ClaimJobsOfAsync(userId, now.AddSeconds(30)));

        var again = Assert.Single(await ClaimJobsOfAsync(userId, now + Lease + TimeSpan.FromSeconds(1)));
        Assert.Equal(job.Id, again.Id);
        Assert.NotEqual(job.LeaseId, again.LeaseId);

        // The first worker's lease is gone: its completion does not count, the second's does.
        Assert.False(await Bounded(WebPush.CompletePushJobAsync(job.Id, job.LeaseId, TestCancellation)));
        Assert.True(await Bounded(WebPush.CompletePushJobAsync(again.Id, again.LeaseId, TestCancellation)));
        Assert.Empty(await ClaimJobsOfAsync(userId, now.AddDays(2)));
    }

    [Fact]
    public async Task RescheduledJob_IsDueAgainAtItsNewTime_WithItsNewState()
    {
        var userId = NewUser();
        await AppendAsync(NewRequest([userId]) with { WebPush = new WebPushContent("t", "b", "https://app.example/x") });
        var now = UtcNow().AddMinutes(1);
        var job = Assert.Single(await ClaimJobsOfAsync(userId, now));

        Assert.True(await Bounded(WebPush.ReschedulePushJobAsync(job.Id, job.LeaseId, now.AddMinutes(5), presenceChecked: true, attempts: 2, TestCancellation)));

        Assert.Empty(await ClaimJobsOfAsync(userId, now.AddMinutes(4)));
        var due = Assert.Single(await ClaimJobsOfAsync(userId, now.AddMinutes(5)));
        Assert.Equal(job.Id, due.Id);
        Assert.True(due.PresenceChecked);
        Assert.Equal(2, due.Attempts);
    }

    [Fact]
    public async Task ConcurrentClaims_NeverHandOneJobToTwoWorkers()
    {
        var userId = NewUser();
        for (var i = 0; i < 20; i++)
        {
            await AppendAsync(NewRequest([userId]) with { WebPush = new WebPushContent("t", $"{i}", null) });
        }

        var now = UtcNow().AddMinutes(1);
        var claims = await Bounded(Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => ClaimJobsOfAsync(userId, now)))));

        var ids = claims.SelectMany(jobs => jobs).Select(job => job.Id).ToList();
        Assert.Equal(20, ids.Count);
        Assert.Equal(20, ids.Distinct().Count());
    }
}
