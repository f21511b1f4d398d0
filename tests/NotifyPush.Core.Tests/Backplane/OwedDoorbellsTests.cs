using NotifyPush.Core.Backplane;

namespace NotifyPush.Core.Tests.Backplane;

public sealed class OwedDoorbellsTests
{
    [Fact]
    public void Add_KeepsOnlyTheNewestDoorbellPerUser()
    {
        var owed = new OwedDoorbells(capacity: 10);
        owed.Add([Notification("u1", 3), Notification("u1", 5), Notification("u2", 1), Notification("u1", 4)]);
        var taken = owed.TakeAll().OrderBy(m => m.UserId).ToList();
        Assert.Equal([("u1", 5L), ("u2", 1L)], taken.Select(m => (m.UserId, m.Seq)));
        Assert.True(owed.IsEmpty);
    }

    [Fact]
    public void Add_BeyondCapacity_DropsNewUsersButStillUpdatesOwedOnes()
    {
        var owed = new OwedDoorbells(capacity: 2);
        Assert.Equal(0, owed.Add([Notification("a", 1), Notification("b", 1)]));
        Assert.Equal(1, owed.Add([Notification("c", 1), Notification("a", 2)]));
        Assert.Equal([("a", 2L), ("b", 1L)], owed.TakeAll().OrderBy(m => m.UserId).Select(m => (m.UserId, m.Seq)));
    }

    [Fact]
    public void Add_KeepsUserAndSeqWithoutTheFrame_AndStopsAtItsByteBound()
    {
        // Room for two users of one character each: the bound counts user ids and bookkeeping, never frames.
        var owed = new OwedDoorbells(capacity: 100, maxBytes: 2 * (OwedDoorbells.EntryOverheadBytes + 2));
        var large = new BackplaneMessage(BackplaneMessageKind.Notification, "a", 1, new byte[100]) { FrameTail = new byte[64 * 1024] };

        Assert.Equal(0, owed.Add([large, Notification("b", 1)]));
        Assert.Equal(1, owed.Add([Notification("c", 1)]));
        Assert.Equal(0, owed.Add([Notification("a", 2)]));
        Assert.Equal(2 * (OwedDoorbells.EntryOverheadBytes + 2), owed.Bytes);

        var taken = owed.TakeAll().OrderBy(m => m.UserId).ToList();
        Assert.Equal([("a", 2L), ("b", 1L)], taken.Select(m => (m.UserId, m.Seq)));
        Assert.All(taken, m => Assert.True(m.IsFrameless));
        Assert.Equal(0, owed.Bytes);
    }

    [Fact]
    public void Add_DoesNotKeepSignOuts()
    {
        var owed = new OwedDoorbells(capacity: 10);
        owed.Add([new BackplaneMessage(BackplaneMessageKind.Disconnect, "u1", 0, ReadOnlyMemory<byte>.Empty)]);
        Assert.True(owed.IsEmpty);
    }

    private static BackplaneMessage Notification(string userId, long seq) =>
        new(BackplaneMessageKind.Notification, userId, seq, new byte[] { (byte)seq });
}
