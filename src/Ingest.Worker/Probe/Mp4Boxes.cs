using System.Buffers.Binary;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// The top-level boxes of an ISO BMFF (MP4) file, read from their 8- or 16-byte headers only: each
/// box declares its own size, so a file cut short inside its last box (the media data of a fast-start
/// clip, the last fragment of a fragmented one) shows exactly how many bytes it is missing, which the
/// container's index, written first, cannot.
/// </summary>
internal static class Mp4Boxes
{
    /// <summary>Bytes the file's last top-level box declares beyond the end of the file; 0 when whole, null when the file is not box-structured.</summary>
    public static long? MissingBytes(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        var length = file.Length;
        Span<byte> header = stackalloc byte[16];
        long offset = 0;
        var boxes = 0;
        while (offset + 8 <= length)
        {
            file.Position = offset;
            var read = file.ReadAtLeast(header, (int)Math.Min(16, length - offset), throwOnEndOfStream: false);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = header.Slice(4, 4);
            if (!IsBoxType(type))
            {
                return boxes == 0 ? null : 0; // not MP4, or trailing bytes after the boxes: nothing declared beyond the end
            }

            if (size == 1)
            {
                if (read < 16)
                {
                    return 0;
                }

                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            }
            else if (size == 0)
            {
                return 0; // "to the end of the file": whatever is there is the box
            }

            if (size < 8)
            {
                return boxes == 0 ? null : 0;
            }

            boxes++;
            if (offset + size > length)
            {
                return offset + size - length;
            }

            offset += size;
        }

        return boxes == 0 ? null : 0;
    }

    private static bool IsBoxType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return false;
            }
        }

        return true;
    }
}
