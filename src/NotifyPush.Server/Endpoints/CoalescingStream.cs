using System.Buffers;
using NotifyPush.Core.Connections;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// The transport under one notification socket, with a cork: while corked, what the WebSocket writes (whole frames)
/// is copied into one pooled buffer and written when uncorked, or when it would grow past <see cref="MaxGathered"/>.
/// A burst of queued notifications then costs one write and one flush to Kestrel, not one per frame.
/// </summary>
/// <remarks>
/// Uncorked, writes go straight through. The buffer is rented only while frames are gathered and returned at once,
/// so an idle socket holds none. A lock orders the flush of the buffer with writes the WebSocket makes from the
/// receive side (pong, close), which the WebSocket's own send lock does not cover for the flush.
/// </remarks>
internal sealed class CoalescingStream(Stream inner) : Stream, IWriteCoalescer
{
    /// <summary>Most bytes gathered before they are written even though still corked.</summary>
    internal const int MaxGathered = 64 * 1024;

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private byte[]? _gathered;
    private int _gatheredLength;
    private volatile bool _corked;

    public void Cork() => _corked = true;

    public async ValueTask UncorkAsync()
    {
        _corked = false;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await WriteGatheredAsync(CancellationToken.None).ConfigureAwait(false);
            await inner.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_corked && buffer.Length <= MaxGathered)
            {
                if (_gatheredLength + buffer.Length > MaxGathered)
                {
                    await WriteGatheredAsync(cancellationToken).ConfigureAwait(false);
                }

                _gathered ??= ArrayPool<byte>.Shared.Rent(MaxGathered);
                buffer.CopyTo(_gathered.AsMemory(_gatheredLength));
                _gatheredLength += buffer.Length;
                return;
            }

            await WriteGatheredAsync(cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_corked)
        {
            // The WebSocket flushes after every frame; corked, the uncork does it once for all of them.
            return;
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteGatheredAsync(cancellationToken).ConfigureAwait(false);
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // Under _writeLock.
    private async ValueTask WriteGatheredAsync(CancellationToken cancellationToken)
    {
        var gathered = _gathered;
        if (gathered is null)
        {
            return;
        }

        var length = _gatheredLength;
        _gathered = null;
        _gatheredLength = 0;
        try
        {
            await inner.WriteAsync(gathered.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            var gathered = Interlocked.Exchange(ref _gathered, null);
            if (gathered is not null)
            {
                ArrayPool<byte>.Shared.Return(gathered);
            }

            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Dispose(disposing: false);
        var gathered = Interlocked.Exchange(ref _gathered, null);
        if (gathered is not null)
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }

        await inner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
