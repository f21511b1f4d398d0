using NotifyPush.Core.Delivery;
using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Core.Tests.Delivery;

public sealed class DeliveryCursorTests
{
    private static DeliveryCursor At(long position)
    {
        var cursor = new DeliveryCursor();
        cursor.StartAfter(position);
        return cursor;
    }

    [Theory]
    [InlineData(3, LiveFrame.AlreadySent)]
    [InlineData(5, LiveFrame.AlreadySent)]
    [InlineData(6, LiveFrame.Next)]
    [InlineData(7, LiveFrame.AfterAGap)]
    [InlineData(long.MaxValue, LiveFrame.AfterAGap)]
    public void Classify_AgainstThePosition_TellsSentNextAndGap(long seq, LiveFrame expected)
    {
        Assert.Equal(expected, At(5).Classify(seq));
    }

    [Fact]
    public void MarkSent_MovesThePosition_SoTheSameSeqIsThenAlreadySent()
    {
        var cursor = At(5);

        cursor.MarkSent(6);

        Assert.Equal(6, cursor.Position);
        Assert.Equal(LiveFrame.AlreadySent, cursor.Classify(6));
        Assert.True(cursor.IsNext(7));
        Assert.False(cursor.IsNext(8));
    }

    [Fact]
    public void OweReplay_DuringTheReplay_IsOwedAndGoLiveSaysSoOnce()
    {
        var cursor = At(0);
        Assert.False(cursor.IsLive);

        Assert.True(cursor.OweReplay());
        Assert.True(cursor.OweReplay());

        Assert.True(cursor.GoLive());
        Assert.True(cursor.IsLive);
        Assert.False(cursor.GoLive());
    }

    [Fact]
    public void GoLive_WithNothingDroppedDuringTheReplay_OwesNoRead()
    {
        var cursor = At(0);

        Assert.False(cursor.GoLive());
        Assert.True(cursor.IsLive);
    }

    [Fact]
    public void OweReplay_OnceLive_IsASlowConsumer()
    {
        var cursor = At(0);
        cursor.GoLive();

        Assert.False(cursor.OweReplay());
        Assert.True(cursor.IsLive);
    }

    [Theory]
    [InlineData(8, 20, true, 8)]    // pruned up to 8: skipped to 8
    [InlineData(8, 7, true, 7)]     // never past `through`
    [InlineData(4, 20, false, 5)]   // pruned below the position: nothing to skip
    [InlineData(5, 20, false, 5)]
    public void SkipPruned_MovesOnlyPastWhatTheStorePruned_AndNeverPastThrough(long prunedSeq, long through, bool moved, long position)
    {
        var cursor = At(5);

        Assert.Equal(moved, cursor.SkipPruned(prunedSeq, through));
        Assert.Equal(position, cursor.Position);
    }

    [Fact]
    public void SkipExpired_MovesPastTheExpiredRowOnly()
    {
        var cursor = At(5);

        cursor.SkipExpired(6);

        Assert.Equal(6, cursor.Position);
        cursor.SkipExpired(4);
        Assert.Equal(6, cursor.Position);
    }

    [Fact]
    public void MissesAfterRead_WhenTheStoreHoldsASeqTheReadDidNotReturn_MustReadAgainAndSkipsNothing()
    {
        var cursor = At(5);

        // A live frame said 9; the read returned nothing after 5, and the stream's head is 9.
        Assert.True(cursor.MissesAfterRead(9, new UserStreamState(LastSeq: 9, AckedSeq: 0, PrunedSeq: 0), out var skipped));

        Assert.False(skipped);
        Assert.Equal(5, cursor.Position);
    }

    [Fact]
    public void MissesAfterRead_WhenTheMissingSeqsWerePruned_SkipsThemAndMissesNothing()
    {
        var cursor = At(5);

        Assert.False(cursor.MissesAfterRead(9, new UserStreamState(LastSeq: 9, AckedSeq: 0, PrunedSeq: 9), out var skipped));

        Assert.True(skipped);
        Assert.Equal(9, cursor.Position);
    }

    [Fact]
    public void MissesAfterRead_ForASeqAboveTheStreamsHead_MissesNothingAndDoesNotMovePastIt()
    {
        // A forged or never-committed seq: the store's head is 5, the live frame said 2^62.
        var cursor = At(5);

        Assert.False(cursor.MissesAfterRead(1L << 62, new UserStreamState(LastSeq: 5, AckedSeq: 0, PrunedSeq: 0), out var skipped));

        Assert.False(skipped);
        Assert.Equal(5, cursor.Position);
        Assert.Equal(LiveFrame.AfterAGap, cursor.Classify(1L << 62));
    }
}
