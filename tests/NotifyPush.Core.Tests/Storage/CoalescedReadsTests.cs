using NotifyPush.Core.Storage;
using Xunit;

namespace NotifyPush.Core.Tests.Storage;

public sealed class CoalescedReadsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>A batched read that records each batch and waits for the test to answer it.</summary>
    private sealed class HeldStore
    {
        private readonly Lock _gate = new();
        private readonly List<(string[] Users, TaskCompletionSource<IReadOnlyDictionary<string, int>> Answer)> _reads = [];

        public Task<IReadOnlyDictionary<string, int>> ReadAsync(IReadOnlyList<string> users)
        {
            var answer = new TaskCompletionSource<IReadOnlyDictionary<string, int>>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _reads.Add(([.. users], answer));
            }

            return answer.Task;
        }

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _reads.Count;
                }
            }
        }

        public async Task<string[]> NextAsync(int index)
        {
            while (Count <= index)
            {
                await Task.Delay(5);
            }

            lock (_gate)
            {
                return _reads[index].Users;
            }
        }

        public void Answer(int index, Func<string, int?> value)
        {
            (string[] Users, TaskCompletionSource<IReadOnlyDictionary<string, int>> Answer) read;
            lock (_gate)
            {
                read = _reads[index];
            }

            read.Answer.SetResult(read.Users.Where(u => value(u) is not null).ToDictionary(u => u, u => value(u)!.Value));
        }

        public void Fail(int index, Exception exception)
        {
            lock (_gate)
            {
                _reads[index].Answer.SetException(exception);
            }
        }
    }

    [Fact]
    public async Task ReadAsync_OfALoneCaller_ReadsAtOnceForThatUserOnly()
    {
        var store = new HeldStore();
        var reads = new CoalescedReads<int>(store.ReadAsync, maxBatch: 100);

        var alice = reads.ReadAsync("alice", CancellationToken.None);

        Assert.Equal(["alice"], await store.NextAsync(0).WaitAsync(Timeout));
        store.Answer(0, _ => 7);
        Assert.Equal(7, await alice.WaitAsync(Timeout));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task ReadAsync_CallersArrivingWhileAReadRuns_ShareTheNextRead_AndAUserAskedTwiceIsReadOnce()
    {
        var store = new HeldStore();
        var reads = new CoalescedReads<int>(store.ReadAsync, maxBatch: 100);
        var first = reads.ReadAsync("alice", CancellationToken.None);
        await store.NextAsync(0).WaitAsync(Timeout);

        // These arrive while the first read is in flight: none of them may take its (older) answer.
        var bob = reads.ReadAsync("bob", CancellationToken.None);
        var carol = reads.ReadAsync("carol", CancellationToken.None);
        var bobAgain = reads.ReadAsync("bob", CancellationToken.None);
        var aliceAgain = reads.ReadAsync("alice", CancellationToken.None);
        Assert.False(aliceAgain.IsCompleted);

        store.Answer(0, _ => 1);
        Assert.Equal(1, await first.WaitAsync(Timeout));
        var second = await store.NextAsync(1).WaitAsync(Timeout);
        Assert.Equal(["alice", "bob", "carol"], second.Order());

        store.Answer(1, user => user == "carol" ? null : 2);
        Assert.Equal(2, await bob.WaitAsync(Timeout));
        Assert.Equal(2, await bobAgain.WaitAsync(Timeout));
        Assert.Equal(2, await aliceAgain.WaitAsync(Timeout));
        Assert.Equal(0, await carol.WaitAsync(Timeout)); // left out of the answer: default
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public async Task ReadAsync_MoreWaitingThanOneBatch_ReadsThemInBatchesOfAtMostMaxBatch()
    {
        var store = new HeldStore();
        var reads = new CoalescedReads<int>(store.ReadAsync, maxBatch: 2);
        var first = reads.ReadAsync("u0", CancellationToken.None);
        await store.NextAsync(0).WaitAsync(Timeout);
        var waiting = Enumerable.Range(1, 5).Select(i => reads.ReadAsync("u" + i, CancellationToken.None)).ToList();

        store.Answer(0, _ => 0);
        for (var i = 1; i <= 3; i++)
        {
            var batch = await store.NextAsync(i).WaitAsync(Timeout);
            Assert.Equal(i < 3 ? 2 : 1, batch.Length);
            store.Answer(i, user => int.Parse(user[1..], System.Globalization.CultureInfo.InvariantCulture));
        }

        var answers = await Task.WhenAll(waiting).WaitAsync(Timeout);
        Assert.Equal([1, 2, 3, 4, 5], answers);
        Assert.Equal(0, await first);
        Assert.Equal(4, store.Count);
    }

    [Fact]
    public async Task ReadAsync_WhenTheReadFails_FailsEveryCallerOfThatBatch_AndTheNextCallReadsAgain()
    {
        var store = new HeldStore();
        var reads = new CoalescedReads<int>(store.ReadAsync, maxBatch: 100);
        var first = reads.ReadAsync("alice", CancellationToken.None);
        await store.NextAsync(0).WaitAsync(Timeout);
        var bob = reads.ReadAsync("bob", CancellationToken.None);
        var carol = reads.ReadAsync("carol", CancellationToken.None);
        store.Answer(0, _ => 1);
        await store.NextAsync(1).WaitAsync(Timeout);

        store.Fail(1, new StoreUnavailableException("down"));

        Assert.Equal(1, await first.WaitAsync(Timeout));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => bob.WaitAsync(Timeout));
        await Assert.ThrowsAsync<StoreUnavailableException>(() => carol.WaitAsync(Timeout));

        var again = reads.ReadAsync("bob", CancellationToken.None);
        Assert.Equal(["bob"], await store.NextAsync(2).WaitAsync(Timeout));
        store.Answer(2, _ => 3);
        Assert.Equal(3, await again.WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_ACallerThatCancels_StopsWaiting_WhileTheOthersOfItsBatchGetTheirAnswer()
    {
        var store = new HeldStore();
        var reads = new CoalescedReads<int>(store.ReadAsync, maxBatch: 100);
        using var cancel = new CancellationTokenSource();
        var holder = reads.ReadAsync("holder", CancellationToken.None);
        await store.NextAsync(0).WaitAsync(Timeout);
        var leaving = reads.ReadAsync("alice", cancel.Token);
        var staying = reads.ReadAsync("bob", CancellationToken.None);
        store.Answer(0, _ => 1);
        Assert.Equal(["alice", "bob"], (await store.NextAsync(1).WaitAsync(Timeout)).Order());

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Timeout));
        store.Answer(1, _ => 5);
        Assert.Equal(5, await staying.WaitAsync(Timeout));
        Assert.Equal(1, await holder);
    }
}
