using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Specification.Tests;

public abstract partial class NotificationStoreSpecification
{
    [Fact]
    public async Task Acknowledge_HigherSeq_RaisesAckedSeq()
    {
        var userId = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await AppendOneAsync(userId);
        }

        await AcknowledgeAsync(new StreamAck(userId, 3));
        Assert.Equal(new UserStreamState(LastSeq: 5, AckedSeq: 3, PrunedSeq: 0), await StateAsync(userId));

        await AcknowledgeAsync(new StreamAck(userId, 5));
        Assert.Equal(5, (await StateAsync(userId)).AckedSeq);
    }

    [Fact]
    public async Task Acknowledge_LowerSeq_NeverLowersAckedSeq()
    {
        var userId = NewUser();
        for (var i = 0; i < 5; i++)
        {
            await AppendOneAsync(userId);
        }

        await AcknowledgeAsync(new StreamAck(userId, 4));
        await AcknowledgeAsync(new StreamAck(userId, 2));
        await AcknowledgeAsync(new StreamAck(userId, 0));

        Assert.Equal(4, (await StateAsync(userId)).AckedSeq);
    }

    [Fact]
    public async Task Acknowledge_BeyondLastSeq_ClampsToLastSeq()
    {
        var userId = NewUser();
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId);
        }

        await AcknowledgeAsync(new StreamAck(userId, 99));
        Assert.Equal(new UserStreamState(LastSeq: 3, AckedSeq: 3, PrunedSeq: 0), await StateAsync(userId));

        // The next notification is not delivered just because a client once claimed a seq beyond it.
        await AppendOneAsync(userId);
        Assert.Equal(new UserStreamState(LastSeq: 4, AckedSeq: 3, PrunedSeq: 0), await StateAsync(userId));
    }

    [Fact]
    public async Task Acknowledge_UnknownUser_IsIgnored()
    {
        var known = NewUser("known");
        var unknown = NewUser("unknown");
        await AppendOneAsync(known);

        await AcknowledgeAsync(new StreamAck(unknown, 5), new StreamAck(known, 1));

        Assert.Equal(UserStreamState.Empty, await StateAsync(unknown));
        Assert.Equal(1, (await StateAsync(known)).AckedSeq);
        var next = await AppendOneAsync(unknown);
        Assert.Equal(1, next.Seq);
        Assert.Equal(0, (await StateAsync(unknown)).AckedSeq);
    }

    [Fact]
    public async Task Acknowledge_BatchForSeveralUsers_KeepsEachUsersHighestSeq()
    {
        var alice = NewUser("alice");
        var bob = NewUser("bob");
        for (var i = 0; i < 4; i++)
        {
            await AppendOneAsync(alice);
            await AppendOneAsync(bob);
        }

        await AcknowledgeAsync(new StreamAck(alice, 2), new StreamAck(bob, 1), new StreamAck(alice, 3), new StreamAck(alice, 1));

        Assert.Equal(3, (await StateAsync(alice)).AckedSeq);
        Assert.Equal(1, (await StateAsync(bob)).AckedSeq);
    }

    [Fact]
    public async Task Acknowledge_KeepsDeliveredNotificationsReadable()
    {
        var userId = NewUser();
        for (var i = 0; i < 3; i++)
        {
            await AppendOneAsync(userId);
        }

        await AcknowledgeAsync(new StreamAck(userId, 3));

        Assert.Equal(Seqs(1, 3), (await ReadAllAsync(userId)).Select(n => n.Seq));
    }
}
