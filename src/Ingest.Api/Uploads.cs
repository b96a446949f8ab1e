namespace EvidenceVault.Api;

/// <summary>
/// What uploads may cost the server (issue 21): at most <see cref="Limit"/> at once, each holding at
/// most 2 × <see cref="Custody.Storage.SpoolBuffers.Network"/> of its bytes in memory, and dropped with
/// its spooled part when no byte arrives for <see cref="IdleTimeout"/>. So a client that opens uploads
/// and stalls pins a bounded amount of memory and gives it back; the memory bound is
/// <c>Limit × 2 × 128 KiB</c> plus Kestrel's own per-connection buffers (docs/deploy.md §4).
/// </summary>
internal sealed class Uploads(int limit, TimeSpan idleTimeout)
{
    private int _open;

    public int Limit { get; } = limit;

    public TimeSpan IdleTimeout { get; } = idleTimeout;

    /// <summary>A slot for one upload, or null when <see cref="Limit"/> are open; dispose to give it back.</summary>
    public IDisposable? TryOpen()
    {
        if (Interlocked.Increment(ref _open) > Limit)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(Uploads uploads) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref uploads._open);
            }
        }
    }
}

/// <summary>
/// A request body read with a deadline per read: a read that sees no byte for the idle timeout
/// throws <see cref="UploadIdleException"/> instead of waiting for ever.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(idle);
        try
        {
            return await inner.ReadAsync(buffer, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UploadIdleException(idle);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal sealed class UploadIdleException(TimeSpan idle)
    : IOException($"No byte of the upload arrived for {idle.TotalSeconds:0} s: the upload was dropped and nothing of it kept; send it again.");
