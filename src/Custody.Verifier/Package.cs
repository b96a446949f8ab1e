using System.IO.Compression;
using System.Security.Cryptography;

namespace EvidenceVault.Custody.Verifier;

/// <summary>An export package as the verifier reads it: a directory, or its ZIP form.</summary>
internal abstract class Package : IDisposable
{
    /// <summary>Files of the package, '/'-separated relative paths, ordinal order.</summary>
    public abstract IReadOnlyList<string> Paths { get; }

    /// <summary>Set when a ZIP is not byte for byte the canonical ZIP of its own files.</summary>
    public string? CanonicalProblem { get; protected set; }

    public bool Has(string path) => Paths.Contains(path, StringComparer.Ordinal);

    public abstract long Length(string path);

    public abstract byte[] Sha256(string path);

    public byte[] ReadAll(string path)
    {
        if (Length(path) > 64 << 20)
        {
            throw new InvalidDataException($"{path} is larger than any such file can be.");
        }

        using var stream = Open(path);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public abstract Stream Open(string path);

    public virtual void Dispose()
    {
    }

    public static Package Load(string path) =>
        Directory.Exists(path) ? new DirectoryPackage(path) : new ZipPackage(path);
}

internal sealed class DirectoryPackage : Package
{
    private readonly string _root;

    /// <summary>
    /// Reads the package's tree without following a link and without opening anything that is not a
    /// regular file: a folder replaced by a link (to evidence elsewhere) or a FIFO in place of a file
    /// (which would block the reader) is refused by name before a byte is read.
    /// </summary>
    public DirectoryPackage(string root)
    {
        _root = Path.GetFullPath(root);
        var paths = new List<string>();
        Walk(new DirectoryInfo(_root), paths);
        Paths = [.. paths.Order(StringComparer.Ordinal)];
    }

    private void Walk(DirectoryInfo folder, List<string> paths)
    {
        foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            var relative = Path.GetRelativePath(_root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (entry.LinkTarget is not null)
            {
                throw new InvalidDataException($"{relative} is a symbolic link: a package holds regular files and folders only, and links are never followed.");
            }

            if (entry is DirectoryInfo subfolder)
            {
                Walk(subfolder, paths);
            }
            else if (!FileKind.IsRegularFile(entry.FullName))
            {
                throw new InvalidDataException($"{relative} is not a regular file (a FIFO, device or socket): a package holds regular files only; it was not opened.");
            }
            else
            {
                paths.Add(relative);
            }
        }
    }

    public override IReadOnlyList<string> Paths { get; }

    public override long Length(string path) => new FileInfo(Full(path)).Length;

    public override byte[] Sha256(string path)
    {
        using var stream = Open(path);
        return SHA256.HashData(stream);
    }

    public override Stream Open(string path) =>
        new FileStream(Full(path), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);

    private string Full(string path) => Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>
/// The ZIP form. One pass rebuilds the canonical ZIP (<see cref="StoredZip"/>) of the archive's own
/// files and compares it with the archive byte for byte, checking every CRC and hashing every file
/// on the way, so a flipped byte anywhere in the archive is found, headers included.
/// </summary>
internal sealed class ZipPackage : Package
{
    private readonly FileStream _file;
    private readonly ZipArchive _archive;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _digests = new(StringComparer.Ordinal);

    public ZipPackage(string path)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        _archive = new ZipArchive(_file, ZipArchiveMode.Read, leaveOpen: false);
        foreach (var entry in _archive.Entries)
        {
            if (entry.FullName.EndsWith('/') || !_entries.TryAdd(entry.FullName, entry))
            {
                CanonicalProblem = $"the ZIP holds a directory entry or a duplicate name ({entry.FullName})";
            }
        }

        Paths = [.. _entries.Keys.Order(StringComparer.Ordinal)];
        // The canonical ZIP stores every file uncompressed: a compressed entry (a deflate bomb declares
        // gigabytes in megabytes) is refused from its header, before anything is inflated.
        CanonicalProblem ??= _entries.Values.FirstOrDefault(e => e.CompressedLength != e.Length) is { } packed
            ? $"{packed.FullName} is compressed ({packed.CompressedLength} bytes declaring {packed.Length}); the canonical ZIP stores files uncompressed, so nothing was inflated"
            : null;
        CanonicalProblem ??= CompareWithCanonical(path);
    }

    public override IReadOnlyList<string> Paths { get; }

    public override long Length(string path) => _entries[path].Length;

    public override byte[] Sha256(string path) => _digests[path];

    public override Stream Open(string path) => _entries[path].Open();

    public override void Dispose() => _archive.Dispose();

    private string? CompareWithCanonical(string path)
    {
        using var original = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var sink = new ComparingStream(original);
        var badCrc = new List<string>();
        var items = Paths.Select(p => new ZipItem(p, _entries[p].Length, _entries[p].Crc32, () => new HashingStream(_entries[p].Open(), (sha, crc) =>
        {
            _digests[p] = sha;
            if (crc != _entries[p].Crc32)
            {
                badCrc.Add(p);
            }
        }))).ToList();
        try
        {
            StoredZip.Write(sink, items);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        if (badCrc.Count > 0)
        {
            return $"CRC-32 does not match the bytes of {string.Join(", ", badCrc)}";
        }

        return sink.FirstDifference is { } at ? $"the ZIP differs from the canonical ZIP of its files at byte {at}"
            : original.Position != original.Length ? "the ZIP has bytes after its end record" : null;
    }

    /// <summary>A write-only stream that compares what is written with another stream's next bytes.</summary>
    private sealed class ComparingStream(Stream expected) : Stream
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        private long _position;

        public long? FirstDifference { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _position;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                var chunk = Math.Min(buffer.Length, _buffer.Length);
                var read = expected.ReadAtLeast(_buffer.AsSpan(0, chunk), chunk, throwOnEndOfStream: false);
                if (FirstDifference is null)
                {
                    var same = buffer[..read].CommonPrefixLength(_buffer.AsSpan(0, read));
                    if (same < chunk)
                    {
                        FirstDifference = _position + same;
                    }
                }

                _position += chunk;
                buffer = buffer[chunk..];
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Reads through, computing SHA-256 and CRC-32; reports both when the inner stream ends.</summary>
    private sealed class HashingStream(Stream inner, Action<byte[], uint> done) : Stream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly System.IO.Hashing.Crc32 _crc = new();
        private bool _reported;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            if (read > 0)
            {
                _sha.AppendData(buffer, offset, read);
                _crc.Append(buffer.AsSpan(offset, read));
            }
            else if (!_reported)
            {
                _reported = true;
                done(_sha.GetHashAndReset(), _crc.GetCurrentHashAsUInt32());
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                _sha.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>The type of a file as the filesystem holds it, without following a link or opening it.</summary>
internal static partial class FileKind
{
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.Exists(path);
        }

        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 0x1;
        var buffer = new byte[256];
        // struct statx: stx_mode (u16) at byte 28; S_IFREG is 0x8000 under the 0xF000 type mask.
        return Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) == 0 && (BitConverter.ToUInt16(buffer, 28) & 0xF000) == 0x8000;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, byte[] buffer);
}
