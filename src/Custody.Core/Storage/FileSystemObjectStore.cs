using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace EvidenceVault.Custody.Storage;

/// <summary>
/// The embedded default: objects under <c>objects/sha256/ab/cd/abcd…</c> (two fan-out levels keep
/// directories small), checkpoints under <c>checkpoints/</c>. A write goes to <c>tmp/</c>, is
/// fsynced, renamed atomically into place and made read-only; the directory is fsynced so the
/// rename survives power loss. A crash leaves at most a temporary file, never a partial object.
/// </summary>
public sealed class FileSystemObjectStore : IObjectStore
{
    private const int BufferSize = 4 << 20;
    private static readonly System.Buffers.ArrayPool<byte> Buffers = System.Buffers.ArrayPool<byte>.Create(BufferSize, 16);
    private readonly string _objects;
    private readonly string _checkpoints;
    private readonly string _temporary;

    public FileSystemObjectStore(string root)
    {
        Root = Path.GetFullPath(root);
        _objects = Path.Combine(Root, "sha256");
        _checkpoints = Path.Combine(Root, "checkpoints");
        _temporary = Path.Combine(Root, "tmp");
        Directory.CreateDirectory(_objects);
        Directory.CreateDirectory(_checkpoints);
        Directory.CreateDirectory(_temporary);
    }

    public string Root { get; }

    /// <summary>Where the temporary files live: a spool on the same filesystem can rename into the store instead of copying.</summary>
    public string TemporaryDirectory => _temporary;

    public string PathOf(Sha256Digest key)
    {
        var hex = key.ToHex();
        return Path.Combine(_objects, hex[..2], hex[2..4], hex);
    }

    public async Task<StoredObject> PutAsync(Stream source, CancellationToken cancellationToken = default) =>
        await StoreAsync(await SpoolAsync(source, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Copies source to a new file in <c>tmp/</c>, hashing on the way. The next chunk is read while
    /// the current one is hashed and written, and the kernel is asked to start writing back each
    /// chunk at once, so reading the camera, hashing and the disk write overlap, and the fsync in
    /// <see cref="StoreAsync"/> has little left to wait for (see docs/benchmarks.md).
    /// </summary>
    public Task<SpooledObject> SpoolAsync(Stream source, CancellationToken cancellationToken = default) =>
        SpoolAsync(source, BufferSize, cancellationToken);

    public async Task<SpooledObject> SpoolAsync(Stream source, int bufferBytes, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096);
        var temporary = NewTemporaryPath();
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var target = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.None);
            // Pooled: a new pair per clip would pile up in the large-object heap and push a dock's RSS up.
            var pool = bufferBytes == BufferSize ? Buffers : System.Buffers.ArrayPool<byte>.Shared;
            var current = pool.Rent(bufferBytes);
            var next = pool.Rent(bufferBytes);
            try
            {
                var (key, size) = await SpoolAsync(source, target, sha, current.AsMemory(0, bufferBytes), next.AsMemory(0, bufferBytes), cancellationToken).ConfigureAwait(false);
                return new SpooledObject(key, size, temporary);
            }
            finally
            {
                pool.Return(current);
                pool.Return(next);
            }
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Makes the spooled file durable (fsync) and moves it into place under its key.</summary>
    public Task<StoredObject> StoreAsync(SpooledObject spooled, CancellationToken cancellationToken = default)
    {
        using (spooled)
        {
            if (File.Exists(PathOf(spooled.Key)))
            {
                // A re-dock reads every file again (docs/dock.md): bytes already stored need no fsync of their copy.
                return Task.FromResult(CommitTemporary(spooled.File, spooled.Key, spooled.Size));
            }

            using (var file = new FileStream(spooled.File, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 0))
            {
                file.Flush(flushToDisk: true);
            }

            return Task.FromResult(CommitTemporary(spooled.File, spooled.Key, spooled.Size));
        }
    }

    private static async Task<(Sha256Digest Key, long Size)> SpoolAsync(Stream source, FileStream target, IncrementalHash sha, Memory<byte> current, Memory<byte> next, CancellationToken cancellationToken)
    {
        long size = 0;
        var read = await ReadChunkAsync(source, current, cancellationToken).ConfigureAwait(false);
        while (read > 0)
        {
            var into = next;
            var nextRead = Task.Run(() => ReadChunkAsync(source, into, cancellationToken), cancellationToken);
            try
            {
                sha.AppendData(current.Span[..read]);
                target.Write(current.Span[..read]);
                Posix.StartWriteback(target.SafeFileHandle, size, read);
            }
            catch
            {
                // Never leave a read running on the source after this method fails.
                await nextRead.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                throw;
            }

            if (size == 0)
            {
                Hosting.FaultPoints.Reach("mid-copy");
            }

            size += read;
            read = await nextRead.ConfigureAwait(false);
            (current, next) = (next, current);
        }

        return (new Sha256Digest(sha.GetHashAndReset()), size);
    }

    /// <summary>Fills the buffer as far as the source allows; 0 only at its end.</summary>
    private static async Task<int> ReadChunkAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await source.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>A temporary file name in the spool, tagged with this process id so abandoned ones can be told apart.</summary>
    public string NewTemporaryPath() =>
        Path.Combine(_temporary, $"{Environment.ProcessId}-{Guid.NewGuid():N}.part");

    public int RemoveAbandonedTemporaryFiles() => Posix.RemoveFilesOfGoneProcesses(_temporary);

    /// <summary>The original itself: the folder store keeps it as a read-only file tools may read in place.</summary>
    public string? LocalFileOf(Sha256Digest key) => PathOf(key);

    /// <summary>
    /// Moves an already written and fsynced file (on this filesystem) into place under its key.
    /// The caller vouches that <paramref name="key"/> and <paramref name="size"/> were computed over
    /// the bytes it wrote; the size is checked against the file.
    /// </summary>
    public StoredObject CommitTemporary(string temporaryFile, Sha256Digest key, long size)
    {
        var actual = new FileInfo(temporaryFile).Length;
        if (actual != size)
        {
            throw new IOException($"{temporaryFile} holds {actual} bytes, but {size} were written.");
        }

        var final = PathOf(key);
        if (File.Exists(final))
        {
            File.Delete(temporaryFile);
            return new StoredObject(key, size, AlreadyStored: true);
        }

        var directory = Path.GetDirectoryName(final)!;
        Directory.CreateDirectory(directory);
        Posix.MakeReadOnly(temporaryFile);
        try
        {
            // No overwrite: if a concurrent writer got there first, the bytes are identical anyway.
            File.Move(temporaryFile, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            File.Delete(temporaryFile);
            return new StoredObject(key, size, AlreadyStored: true);
        }

        Posix.SyncDirectory(directory);
        return new StoredObject(key, size, AlreadyStored: false);
    }

    public Task<bool> ExistsAsync(Sha256Digest key, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(PathOf(key)));

    public Task<long?> SizeAsync(Sha256Digest key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    public Task<long?> SizeAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default) => SizeAsync(key, cancellationToken);

    /// <summary>
    /// The folder store has one file per key and no versions: what it holds is the original unless
    /// someone changed it on disk, which the ledger's hashes and <c>custody verify --objects</c> catch.
    /// </summary>
    public async Task<StoredObject?> FindVerifiedAsync(Sha256Digest key, long size, CancellationToken cancellationToken = default) =>
        await SizeAsync(key, cancellationToken).ConfigureAwait(false) == size ? new StoredObject(key, size, AlreadyStored: true) : null;

    public Task<Stream> OpenReadAsync(Sha256Digest key, string? version, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Object {key} is not in the store.", path);
        }

        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan));
    }

    public async IAsyncEnumerable<Sha256Digest> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var file in Directory.EnumerateFiles(_objects, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Sha256Digest.TryParseHex(Path.GetFileName(file), out var key) && PathOf(key) == file)
            {
                yield return key;
            }
            else
            {
                throw new InvalidDataException($"Unexpected file in the object store: {file}");
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async Task PublishNoteAsync(string series, long size, string note, CancellationToken cancellationToken = default)
    {
        var final = NotePath(series, size);
        var folder = Path.GetDirectoryName(final)!;
        if (File.Exists(final))
        {
            var existing = await File.ReadAllTextAsync(final, cancellationToken).ConfigureAwait(false);
            if (existing != note)
            {
                throw new InvalidOperationException($"A different {Kind(series)} for size {size} is already published at {final}.");
            }

            return;
        }

        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(_temporary, $"{Environment.ProcessId}-{Guid.NewGuid():N}.note");
        await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(note), cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        Posix.MakeReadOnly(temporary);
        try
        {
            File.Move(temporary, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // Another dock of this station published it a moment ago; it must be the same note.
            File.Delete(temporary);
            if (await File.ReadAllTextAsync(final, cancellationToken).ConfigureAwait(false) != note)
            {
                throw new InvalidOperationException($"A different {Kind(series)} for size {size} is already published at {final}.");
            }

            return;
        }

        Posix.SyncDirectory(folder);
    }

    public Task<IReadOnlyList<long>> ListNotesAsync(string series, CancellationToken cancellationToken = default)
    {
        var folder = Path.Combine(Root, PublishedSeries.Check(series));
        IReadOnlyList<long> sizes = !Directory.Exists(folder) ? [] : [.. Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .Select(name => long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : -1)
            .Where(size => size >= 0)
            .Order()];
        return Task.FromResult(sizes);
    }

    public async Task<string?> ReadNoteAsync(string series, long size, CancellationToken cancellationToken = default)
    {
        var path = NotePath(series, size);
        return File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
    }

    private static string Kind(string series) => series == PublishedSeries.Checkpoints ? "checkpoint" : $"note in {series}";

    // Zero-padded so a directory listing is in ledger order.
    private string NotePath(string series, long size) =>
        Path.Combine(Root, PublishedSeries.Check(series), size.ToString("D20", CultureInfo.InvariantCulture));

    /// <summary>A folder has no object lock: nothing to extend (the ledger records the retention class).</summary>
    public Task<NodaTime.Instant?> ExtendRetentionAsync(Sha256Digest key, NodaTime.Instant until, IReadOnlyCollection<string> versions, CancellationToken cancellationToken = default) =>
        Task.FromResult<NodaTime.Instant?>(null);
}
