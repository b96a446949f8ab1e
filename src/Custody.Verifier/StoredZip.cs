using System.Buffers.Binary;
using System.Text;

namespace EvidenceVault.Custody.Verifier;

/// <summary>One file of a stored ZIP: its path, length, CRC-32 and a way to read its bytes.</summary>
public sealed record ZipItem(string Path, long Length, uint Crc32, Func<Stream> Open);

/// <summary>
/// The one ZIP form of an export package, a pure function of its files' paths and bytes, so the
/// same package always zips to the same bytes and a verifier can rebuild the archive and compare:
/// files only (no directory entries), in ordinal path order, method 0 (stored, no compression: the
/// originals are already compressed video), time 1980-01-01 00:00, no comments, no data descriptors,
/// and Zip64 fields on every entry (one form whatever the sizes). docs/export-format.md §6.
/// </summary>
public static class StoredZip
{
    private const ushort Version = 45; // Zip64
    private const ushort DosDate = 0x21; // 1980-01-01
    private const uint Max32 = uint.MaxValue;
    private const ushort Max16 = ushort.MaxValue;

    public static void Write(Stream output, IReadOnlyList<ZipItem> items)
    {
        var ordered = items.OrderBy(i => i.Path, StringComparer.Ordinal).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Path == ordered[i - 1].Path)
            {
                throw new ArgumentException($"Duplicate path {ordered[i].Path}.", nameof(items));
            }
        }

        var offsets = new long[ordered.Count];
        long position = 0;
        var buffer = new byte[1 << 20];
        for (var i = 0; i < ordered.Count; i++)
        {
            var item = ordered[i];
            offsets[i] = position;
            var name = Name(item.Path);
            var header = new byte[30 + name.Length + 20];
            var span = header.AsSpan();
            U32(span, 0, 0x04034b50);
            U16(span, 4, Version);
            U16(span, 6, 0);
            U16(span, 8, 0);
            U16(span, 10, 0);
            U16(span, 12, DosDate);
            U32(span, 14, item.Crc32);
            U32(span, 18, Max32);
            U32(span, 22, Max32);
            U16(span, 26, (ushort)name.Length);
            U16(span, 28, 20);
            name.CopyTo(span[30..]);
            var extra = span[(30 + name.Length)..];
            U16(extra, 0, 0x0001);
            U16(extra, 2, 16);
            U64(extra, 4, (ulong)item.Length);
            U64(extra, 12, (ulong)item.Length);
            output.Write(header);
            position += header.Length;

            using var content = item.Open();
            long copied = 0;
            int read;
            while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
            {
                output.Write(buffer, 0, read);
                copied += read;
            }

            if (copied != item.Length)
            {
                throw new InvalidDataException($"{item.Path} changed while it was zipped ({copied} bytes, expected {item.Length}).");
            }

            position += copied;
        }

        var directoryStart = position;
        for (var i = 0; i < ordered.Count; i++)
        {
            var item = ordered[i];
            var name = Name(item.Path);
            var record = new byte[46 + name.Length + 28];
            var span = record.AsSpan();
            U32(span, 0, 0x02014b50);
            U16(span, 4, Version);
            U16(span, 6, Version);
            U16(span, 8, 0);
            U16(span, 10, 0);
            U16(span, 12, 0);
            U16(span, 14, DosDate);
            U32(span, 16, item.Crc32);
            U32(span, 20, Max32);
            U32(span, 24, Max32);
            U16(span, 28, (ushort)name.Length);
            U16(span, 30, 28);
            U16(span, 32, 0);
            U16(span, 34, 0);
            U16(span, 36, 0);
            U32(span, 38, 0);
            U32(span, 42, Max32);
            name.CopyTo(span[46..]);
            var extra = span[(46 + name.Length)..];
            U16(extra, 0, 0x0001);
            U16(extra, 2, 24);
            U64(extra, 4, (ulong)item.Length);
            U64(extra, 12, (ulong)item.Length);
            U64(extra, 20, (ulong)offsets[i]);
            output.Write(record);
            position += record.Length;
        }

        var directorySize = position - directoryStart;
        var end = new byte[56 + 20 + 22];
        var tail = end.AsSpan();
        U32(tail, 0, 0x06064b50);
        U64(tail, 4, 44);
        U16(tail, 12, Version);
        U16(tail, 14, Version);
        U32(tail, 16, 0);
        U32(tail, 20, 0);
        U64(tail, 24, (ulong)ordered.Count);
        U64(tail, 32, (ulong)ordered.Count);
        U64(tail, 40, (ulong)directorySize);
        U64(tail, 48, (ulong)directoryStart);
        U32(tail, 56, 0x07064b50);
        U32(tail, 60, 0);
        U64(tail, 64, (ulong)position);
        U32(tail, 72, 1);
        U32(tail, 76, 0x06054b50);
        U16(tail, 80, 0);
        U16(tail, 82, 0);
        U16(tail, 84, Max16);
        U16(tail, 86, Max16);
        U32(tail, 88, Max32);
        U32(tail, 92, Max32);
        U16(tail, 96, 0);
        output.Write(end);
    }

    /// <summary>CRC-32 (ISO-HDLC, as ZIP uses) of a stream, read to its end.</summary>
    public static uint Crc(Stream content)
    {
        var crc = new System.IO.Hashing.Crc32();
        crc.Append(content);
        return crc.GetCurrentHashAsUInt32();
    }

    private static byte[] Name(string path)
    {
        if (path.Length == 0 || path.Any(c => c > 0x7e || c < 0x21 || c == '\\') || path.StartsWith('/') || path.Split('/').Any(p => p is "" or "." or ".."))
        {
            throw new ArgumentException($"'{path}' is not a package path (printable ASCII, '/'-separated, relative).", nameof(path));
        }

        return Encoding.ASCII.GetBytes(path);
    }

    private static void U16(Span<byte> span, int at, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(span[at..], value);

    private static void U32(Span<byte> span, int at, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(span[at..], value);

    private static void U64(Span<byte> span, int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(span[at..], value);
}
