using NotifyPush.Core.Storage;

namespace NotifyPush.Storage.Postgres;

/// <summary>An append request with its ids and times fixed, waiting for a transaction (alone or in a group commit).</summary>
internal sealed class PreparedAppend
{
    private const int Queued = 0;
    private const int Taken = 1;
    private const int Cancelled = 2;

    private int _state;
    private CancellationTokenRegistration _cancellation;

    public PreparedAppend(AppendRequest request, string[] userIds)
    {
        Request = request;
        UserIds = userIds;
        CreatedAt = ToPostgresPrecision(request.CreatedAt);
        ExpiresAt = ToPostgresPrecision(request.ExpiresAt);
        Ids = new Guid[userIds.Length];
        for (var i = 0; i < Ids.Length; i++)
        {
            Ids[i] = Guid.CreateVersion7(CreatedAt);
        }
    }

    public AppendRequest Request { get; }

    /// <summary>The distinct recipients, in request order.</summary>
    public string[] UserIds { get; }

    /// <summary>
    /// True when the payload is stored once in <c>notification_payloads</c> and referenced by every recipient's row;
    /// a send to one user keeps it in its row, one row written as before shared payloads.
    /// </summary>
    public bool SharesPayload => UserIds.Length > 1;

    /// <summary>One new notification id per recipient, same order.</summary>
    public Guid[] Ids { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Answered by whoever writes the request; continuations run off the writer's loop.</summary>
    public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// A caller that gives up while the request is still queued gets a cancelled task and the request is never
    /// written. Once a writer has taken it, it is written and the caller's token no longer matters: the outcome
    /// of a sent statement is not the caller's to stop.
    /// </summary>
    public void WatchCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var append = (PreparedAppend)state!;
                    if (Interlocked.CompareExchange(ref append._state, Cancelled, Queued) == Queued)
                    {
                        append.Completion.TrySetCanceled(token);
                    }
                },
                this);
        }
    }

    /// <summary>Claims the request for a batch; false when its caller already gave up.</summary>
    public bool TryTake()
    {
        if (Interlocked.CompareExchange(ref _state, Taken, Queued) != Queued)
        {
            return false;
        }

        _cancellation.Dispose();
        return true;
    }

    /// <summary>UTC, truncated to whole microseconds: what timestamptz keeps, so appended and read values are equal.</summary>
    private static DateTimeOffset ToPostgresPrecision(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }
}
