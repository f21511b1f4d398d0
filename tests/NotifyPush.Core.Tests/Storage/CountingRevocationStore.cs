using System.Collections.Concurrent;
using NotifyPush.Core.Storage;

namespace NotifyPush.Core.Tests.Storage;

/// <summary>Token revocations in memory that count the reads, and can hold the next read until a test releases it.</summary>
internal sealed class CountingRevocationStore : ITokenRevocationStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private TaskCompletionSource? _gate;
    private int _reads;

    public int Reads => Volatile.Read(ref _reads);

    /// <summary>Completes when a held read has started.</summary>
    public TaskCompletionSource ReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds the next read (after it read the value) until the returned source completes.</summary>
    public TaskCompletionSource HoldNextRead()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = gate;
        return gate;
    }

    public Task<DateTimeOffset> RevokeTokensAsync(string userId, DateTimeOffset issuedBefore, CancellationToken cancellationToken) =>
        Task.FromResult(_revoked.AddOrUpdate(userId, issuedBefore, (_, old) => old > issuedBefore ? old : issuedBefore));

    public async Task<DateTimeOffset?> GetTokensRevokedBeforeAsync(string userId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        DateTimeOffset? value = _revoked.TryGetValue(userId, out var instant) ? instant : null;
        if (Interlocked.Exchange(ref _gate, null) is { } gate)
        {
            ReadStarted.TrySetResult();
            await gate.Task.WaitAsync(cancellationToken);
        }

        return value;
    }
}
