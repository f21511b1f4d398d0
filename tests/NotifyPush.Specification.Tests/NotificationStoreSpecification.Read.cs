using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Read_AfterSeq_ReturnsOnlyLaterNotificationsOldestFirst()
    {
        var userId = NewUser();
        for (var i = 0; i < 6; i++)
        {
            await AppendOneAsync(userId, payloadJson: $$"""{"i":{{i}}}""");
        }

        Assert.Equal(Seqs(1, 6), (await ReadAllAsync(userId, afterSeq: 0)).Select(n => n.Seq));
        Assert.Equal(Seqs(4, 6), (await ReadAllAsync(userId, afterSeq: 3)).Select(n => n.Seq));
        Assert.Equal("""{"i":3}""", (await ReadAllAsync(userId, afterSeq: 3))[0].PayloadJson);
        Assert.Empty(await ReadAllAsync(userId, afterSeq: 6));
        Assert.Empty(await ReadAllAsync(userId, afterSeq: 100));
    }

    [Fact]
    public async Task Read_WithLimit_ReturnsTheOldestUpToTheLimit()
    {
        var userId = NewUser();
        for (var i = 0; i < 10; i++)
        {
            await AppendOneAsync(userId);
        }

        var page = await Bounded(Store.ReadAsync(userId, afterSeq: 2, limit: 3, UtcNow(), TestCancellation));

        Assert.Equal(Seqs(3, 5), page.Select(n => n.Seq));
    }

    [Fact]
    public async Task Read_PagingByLastSeq_VisitsEveryNotificationOnce()
    {
        var userId = NewUser();
        for (var i = 0; i < 10; i++)
        {
            await AppendOneAsync(userId);
        }

        var visited = new List<long>();
        long after = 0;
        for (var page = 0; page < 10; page++)
        {
            var batch = await Bounded(Store.ReadAsync(userId, after, limit: 4, UtcNow(), TestCancellation));
            if (batch.Count == 0)
            {
                break;
            }

            visited.AddRange(batch.Select(n => n.Seq));
            after = batch[^1].Seq;
        }

        Assert.Equal(Seqs(1, 10), visited);
    }

    [Fact]
    public async Task Read_WhenNotificationsHaveExpired_SkipsThem()
    {
        var userId = NewUser();
        var start = UtcNow();
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(1));
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(3));
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(2));

        Assert.Equal(Seqs(1, 3), (await ReadAllAsync(userId, now: start)).Select(n => n.Seq));
        Assert.Equal(Seqs(2, 3), (await ReadAllAsync(userId, now: start.AddMinutes(90))).Select(n => n.Seq));
        Assert.Equal(Seqs(2, 2), (await ReadAllAsync(userId, now: start.AddMinutes(150))).Select(n => n.Seq));
        Assert.Empty(await ReadAllAsync(userId, now: start.AddHours(4)));
    }

    [Fact]
    public async Task Read_AtTheExactExpiryInstant_TreatsTheNotificationAsExpired()
    {
        var userId = NewUser();
        var expiresAt = UtcNow().AddHours(1);
        await AppendOneAsync(userId, expiresAt: expiresAt);

        Assert.Single(await ReadAllAsync(userId, now: expiresAt.AddMilliseconds(-1)));
        Assert.Empty(await ReadAllAsync(userId, now: expiresAt));
    }

    [Fact]
    public async Task Read_WithLimit_CountsOnlyUnexpiredNotifications()
    {
        var userId = NewUser();
        var start = UtcNow();
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(1));
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(1));
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddDays(1));
        }

        var page = await Bounded(Store.ReadAsync(userId, afterSeq: 0, limit: 2, start.AddHours(2), TestCancellation));

        Assert.Equal(Seqs(3, 4), page.Select(n => n.Seq));
    }

    [Fact]
    public async Task Read_AtTheUnixEpoch_ReturnsExpiredRowsStillStoredWithTheirExpiry()
    {
        var userId = NewUser();
        var start = UtcNow();
        await AppendOneAsync(userId, createdAt: start.AddHours(-2), expiresAt: start.AddHours(-1));
        await AppendOneAsync(userId, createdAt: start, expiresAt: start.AddHours(1));

        var rows = await ReadAllAsync(userId, now: DateTimeOffset.UnixEpoch);

        Assert.Equal(Seqs(1, 2), rows.Select(n => n.Seq));
        Assert.Equal(start.AddHours(-1), rows[0].ExpiresAt);
        Assert.Equal(Seqs(2, 2), (await ReadAllAsync(userId, now: start)).Select(n => n.Seq));
    }

    [Fact]
    public async Task GetStreamHeads_ReturnsTheLastSeqOfEveryKnownUserAndLeavesUnknownOnesOut()
    {
        var (one, three, unknown) = (NewUser(), NewUser(), NewUser("nobody"));
        await AppendOneAsync(one);
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(three);
        }

        var heads = await Bounded(Store.GetStreamHeadsAsync([one, three, unknown], TestCancellation));

        Assert.Equal(2, heads.Count);
        Assert.Equal(1, heads[one]);
        Assert.Equal(3, heads[three]);
        Assert.False(heads.ContainsKey(unknown));
        Assert.Empty(await Bounded(Store.GetStreamHeadsAsync([], TestCancellation)));
    }

    [Fact]
    public async Task GetStreamHeads_ForAThousandUsers_AnswersForEachAndKeepsIdsWithQuotesAndUnicodeApart()
    {
        var odd = new[] { NewUser("quote\"'"), NewUser("ünï-☃"), NewUser("[x]*,") };
        var users = Enumerable.Range(0, 997).Select(_ => NewUser()).Concat(odd).ToList();
        await AppendAsync(NewRequest(users));
        await AppendAsync(NewRequest(odd));

        var heads = await Bounded(Store.GetStreamHeadsAsync(users, TestCancellation));

        Assert.Equal(users.Count, heads.Count);
        Assert.All(users.Take(997), user => Assert.Equal(1, heads[user]));
        Assert.All(odd, user => Assert.Equal(2, heads[user]));
    }

    [Fact]
    public async Task GetStreamStates_ReturnsEachKnownUsersCountersAsGetStreamStateDoes_AndLeavesUnknownOnesOut()
    {
        var (acked, plain, unknown) = (NewUser(), NewUser("quote\"'"), NewUser("nobody"));
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(acked);
        }

        await AppendOneAsync(plain);
        await AcknowledgeAsync(new StreamAck(acked, 2));

        var states = await Bounded(Store.GetStreamStatesAsync([acked, plain, unknown], TestCancellation));

        Assert.Equal(2, states.Count);
        Assert.Equal(await Bounded(Store.GetStreamStateAsync(acked, TestCancellation)), states[acked]);
        Assert.Equal(new UserStreamState(3, 2, 0), states[acked]);
        Assert.Equal(new UserStreamState(1, 0, 0), states[plain]);
        Assert.False(states.ContainsKey(unknown));
        Assert.Empty(await Bounded(Store.GetStreamStatesAsync([], TestCancellation)));
    }

    [Fact]
    public async Task Read_UnknownUser_ReturnsNothing()
    {
        Assert.Empty(await ReadAllAsync(NewUser("nobody")));
    }

    [Fact]
    public async Task GetStreamState_UnknownUser_ReturnsEmpty()
    {
        Assert.Equal(UserStreamState.Empty, await StateAsync(NewUser("nobody")));
    }
}
