using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    private static readonly TimeSpan DeliveredRetention = TimeSpan.FromHours(1);

    [Fact]
    public async Task Cleanup_RemovesAcknowledgedNotificationsOlderThanRetention()
    {
        var now = UtcNow();
        var longAgo = now - (2 * DeliveredRetention);
        var userId = NewUser();
        var bystander = NewUser("bystander");
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId, createdAt: longAgo);
            await AppendOneAsync(bystander, createdAt: longAgo);
        }

        await AcknowledgeAsync(new StreamAck(userId, 2));

        await CleanupUntilDoneAsync(now, DeliveredRetention);

        // Asked with the creation time so that only deletion, not expiry filtering, can explain a missing row.
        Assert.Equal(Seqs(3, 3), (await ReadAllAsync(userId, now: longAgo)).Select(n => n.Seq));
        Assert.Equal(new UserStreamState(LastSeq: 3, AckedSeq: 2, PrunedSeq: 2), await StateAsync(userId));
        Assert.Equal(Seqs(1, 3), (await ReadAllAsync(bystander, now: longAgo)).Select(n => n.Seq));
        Assert.Equal(0, (await StateAsync(bystander)).PrunedSeq);
    }

    [Fact]
    public async Task Cleanup_KeepsAcknowledgedNotificationsWithinRetention()
    {
        var now = UtcNow();
        var userId = NewUser();
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId, createdAt: now - TimeSpan.FromMinutes(10));
        }

        await AcknowledgeAsync(new StreamAck(userId, 3));

        await CleanupUntilDoneAsync(now, DeliveredRetention);

        Assert.Equal(Seqs(1, 3), (await ReadAllAsync(userId)).Select(n => n.Seq));
        Assert.Equal(0, (await StateAsync(userId)).PrunedSeq);
    }

    [Fact]
    public async Task Cleanup_KeepsUnacknowledgedNotificationsUntilTheyExpire()
    {
        var now = UtcNow();
        var userId = NewUser();
        for (var i = 0; i < 2; i++)
        {
            await AppendOneAsync(userId, createdAt: now.AddDays(-30), expiresAt: now.AddDays(1));
        }

        await CleanupUntilDoneAsync(now, DeliveredRetention);

        Assert.Equal(Seqs(1, 2), (await ReadAllAsync(userId)).Select(n => n.Seq));
        Assert.Equal(0, (await StateAsync(userId)).PrunedSeq);
    }

    [Fact]
    public async Task Cleanup_RemovesExpiredNotificationsEvenWhenUnacknowledged()
    {
        var now = UtcNow();
        var createdAt = now.AddHours(-2);
        var userId = NewUser();
        await AppendOneAsync(userId, createdAt: createdAt, expiresAt: now.AddHours(-1));
        await AppendOneAsync(userId, createdAt: createdAt, expiresAt: now.AddDays(1));

        await CleanupUntilDoneAsync(now, TimeSpan.FromDays(1));

        Assert.Equal(Seqs(2, 2), (await ReadAllAsync(userId, now: createdAt)).Select(n => n.Seq));
        Assert.Equal(new UserStreamState(LastSeq: 2, AckedSeq: 0, PrunedSeq: 1), await StateAsync(userId));
    }

    [Fact]
    public async Task Cleanup_WhenMoreRowsAreDueThanTheBatchSize_ReportsHasMore()
    {
        var now = UtcNow();
        var createdAt = now.AddHours(-2);
        var userId = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await AppendOneAsync(userId, createdAt: createdAt, expiresAt: now.AddHours(-1));
        }

        var firstPass = await Bounded(Store.CleanupAsync(now, DeliveredRetention, batchSize: 2, TestCancellation));
        Assert.Equal(new CleanupResult(Deleted: 2, HasMore: true), firstPass);

        var lastPass = await CleanupUntilDoneAsync(now, DeliveredRetention, batchSize: 2);

        Assert.False(lastPass.HasMore);
        Assert.Empty(await ReadAllAsync(userId, now: createdAt));
        Assert.Equal(5, (await StateAsync(userId)).PrunedSeq);
    }

    [Fact]
    public async Task Append_AfterCleanupRemovedEveryNotification_ContinuesNumbering()
    {
        var now = UtcNow();
        var longAgo = now - (2 * DeliveredRetention);
        var userId = NewUser();
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId, createdAt: longAgo);
        }

        await AcknowledgeAsync(new StreamAck(userId, 3));
        await CleanupUntilDoneAsync(now, DeliveredRetention);
        Assert.Empty(await ReadAllAsync(userId, now: longAgo));

        var next = await AppendOneAsync(userId);

        Assert.Equal(4, next.Seq);
        Assert.Equal(new UserStreamState(LastSeq: 4, AckedSeq: 3, PrunedSeq: 3), await StateAsync(userId));
        Assert.Equal(next, Assert.Single(await ReadAllAsync(userId)));
    }

    [Fact]
    public async Task Cleanup_NeverLowersPrunedSeq()
    {
        var now = UtcNow();
        var longAgo = now - (2 * DeliveredRetention);
        var userId = NewUser();
        await AppendOneAsync(userId, createdAt: longAgo, expiresAt: now.AddDays(1));
        await AppendOneAsync(userId, createdAt: longAgo, expiresAt: now.AddHours(-1));

        await CleanupUntilDoneAsync(now, DeliveredRetention);
        Assert.Equal(2, (await StateAsync(userId)).PrunedSeq);

        await AcknowledgeAsync(new StreamAck(userId, 1));
        await CleanupUntilDoneAsync(now, DeliveredRetention);

        Assert.Empty(await ReadAllAsync(userId, now: longAgo));
        Assert.Equal(new UserStreamState(LastSeq: 2, AckedSeq: 1, PrunedSeq: 2), await StateAsync(userId));
    }
}
