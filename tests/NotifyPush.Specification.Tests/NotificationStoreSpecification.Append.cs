using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Append_ToNewUser_NumbersSeqsFromOneWithoutHoles()
    {
        var userId = NewUser();

        var seqs = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add((await AppendOneAsync(userId)).Seq);
        }

        Assert.Equal(Seqs(1, 5), seqs);
        Assert.Equal(new UserStreamState(LastSeq: 5, AckedSeq: 0, PrunedSeq: 0), await StateAsync(userId));
    }

    [Fact]
    public async Task Append_ToTwoUsers_NumbersEachStreamIndependently()
    {
        var alice = NewUser("alice");
        var bob = NewUser("bob");

        var a1 = await AppendOneAsync(alice);
        var b1 = await AppendOneAsync(bob);
        var a2 = await AppendOneAsync(alice);
        var a3 = await AppendOneAsync(alice);
        var b2 = await AppendOneAsync(bob);

        Assert.Equal(Seqs(1, 3), new[] { a1.Seq, a2.Seq, a3.Seq });
        Assert.Equal(Seqs(1, 2), new[] { b1.Seq, b2.Seq });
        Assert.Equal(Seqs(1, 3), (await ReadAllAsync(alice)).Select(n => n.Seq));
        Assert.All(await ReadAllAsync(bob), n => Assert.Equal(bob, n.UserId));
    }

    [Fact]
    public async Task Append_FanOutToThousandUsers_ReturnsOneNotificationPerUserInRequestOrder()
    {
        // Random ids: the request order is not the sorted order, so a store that returns rows sorted fails.
        var userIds = Enumerable.Range(0, 1000).Select(_ => NewUser("fan")).ToArray();

        var result = await AppendAsync(NewRequest(userIds));

        Assert.False(result.IsReplay);
        Assert.Equal(userIds, result.Notifications.Select(n => n.UserId));
        Assert.All(result.Notifications, n => Assert.Equal(1, n.Seq));
        Assert.Equal(userIds.Length, result.Notifications.Select(n => n.Id).Distinct().Count());
        foreach (var index in new[] { 0, 1, 500, 998, 999 })
        {
            var stored = Assert.Single(await ReadAllAsync(userIds[index]));
            Assert.Equal(result.Notifications[index], stored);
        }
    }

    [Fact]
    public async Task Append_FanOutToUsersWithHistory_ContinuesEachUsersNumbering()
    {
        var veteran = NewUser("veteran");
        var newcomer = NewUser("newcomer");
        await AppendOneAsync(veteran);
        await AppendOneAsync(veteran);

        var result = await AppendAsync(NewRequest([newcomer, veteran]));

        Assert.Equal(new[] { newcomer, veteran }, result.Notifications.Select(n => n.UserId));
        Assert.Equal(new long[] { 1, 3 }, result.Notifications.Select(n => n.Seq));
    }

    [Fact]
    public async Task Append_WhenEightWritersRace_SeqsHaveNoHoles()
    {
        var userId = NewUser();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            await start.Task;
            var mine = new List<StoredNotification>();
            for (var i = 0; i < 50; i++)
            {
                mine.Add(await AppendOneAsync(userId, payloadJson: $$"""{"writer":{{writer}},"i":{{i}}}"""));
            }

            return mine;
        })).ToArray();

        start.SetResult();
        var perWriter = await Bounded(Task.WhenAll(writers));

        var all = perWriter.SelectMany(mine => mine).ToList();
        Assert.Equal(Seqs(1, 400), all.Select(n => n.Seq).Order());
        Assert.Equal(400, all.Select(n => n.Id).Distinct().Count());

        // One writer's appends commit one after the other, so its own seqs must rise.
        Assert.All(perWriter, mine => Assert.Equal(mine.Select(n => n.Seq).Order(), mine.Select(n => n.Seq)));

        var stored = await ReadAllAsync(userId);
        Assert.Equal(all.OrderBy(n => n.Seq), stored);
        Assert.Equal(400, (await StateAsync(userId)).LastSeq);
    }

    [Fact]
    public async Task Append_WithoutIdempotencyKey_StoresEveryCall()
    {
        var userId = NewUser();
        var request = NewRequest([userId]);

        var first = await AppendAsync(request);
        var second = await AppendAsync(request);

        Assert.False(second.IsReplay);
        Assert.Equal(2, Assert.Single(second.Notifications).Seq);
        Assert.NotEqual(Assert.Single(first.Notifications).Id, second.Notifications[0].Id);
    }

    [Fact]
    public async Task Append_ThenRead_ReturnsExactlyWhatWasStored()
    {
        var userId = NewUser();
        var createdAt = UtcNow();
        var request = NewRequest(
            [userId],
            type: "order.shipped",
            payloadJson: """{"orderId":"A-17","items":[1,2,3]}""",
            createdAt: createdAt,
            expiresAt: createdAt.AddSeconds(604_800));

        var appended = Assert.Single((await AppendAsync(request)).Notifications);

        Assert.Equal(userId, appended.UserId);
        Assert.Equal(1, appended.Seq);
        Assert.NotEqual(Guid.Empty, appended.Id);
        Assert.Equal("order.shipped", appended.Type);
        Assert.Equal(request.PayloadJson, appended.PayloadJson);
        Assert.Equal(createdAt, appended.CreatedAt);
        Assert.Equal(createdAt.AddSeconds(604_800), appended.ExpiresAt);
        Assert.Equal(appended, Assert.Single(await ReadAllAsync(userId)));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("a:b")]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("\\")]
    [InlineData("'; DROP TABLE notifications; --")]
    [InlineData("ユーザー-👤")]
    public async Task Append_WithUserIdContainingSpecialCharacters_KeepsItsOwnStream(string special)
    {
        // The neighbours are what a wildcard, pattern or prefix match on the id would confuse with it.
        var stem = Guid.NewGuid().ToString("N");
        var userId = stem + special;
        var neighbours = new[] { stem, stem + "x", stem + special + "x" };
        foreach (var neighbour in neighbours)
        {
            await AppendOneAsync(neighbour);
        }

        await AppendOneAsync(userId);
        await AppendOneAsync(userId);

        var stored = await ReadAllAsync(userId);
        Assert.Equal(Seqs(1, 2), stored.Select(n => n.Seq));
        Assert.All(stored, n => Assert.Equal(userId, n.UserId));
        Assert.Equal(2, (await StateAsync(userId)).LastSeq);
        foreach (var neighbour in neighbours)
        {
            Assert.Equal(1, (await StateAsync(neighbour)).LastSeq);
        }
    }

    [Fact]
    public async Task Append_WithUserIdOf128Characters_KeepsTheWholeId()
    {
        var userId = NewUser("long").PadRight(128, 'é');
        var truncated = userId[..127];

        await AppendOneAsync(userId);
        await AppendOneAsync(truncated);

        Assert.Equal(userId, Assert.Single(await ReadAllAsync(userId)).UserId);
        Assert.Equal(truncated, Assert.Single(await ReadAllAsync(truncated)).UserId);
    }
}
