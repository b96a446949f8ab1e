using System.Buffers.Binary;
using System.Text;

namespace EvidenceVault.Custody.Verifier;

/// <summary>A ledger entry as the verifier sees it: the decoded fields of its canonical bytes (docs/ledger-format.md §1).</summary>
public sealed record ExportedEntry(
    long Index,
    long TimeNanoseconds,
    string Type,
    string Actor,
    IReadOnlyList<EntryLink> Subjects,
    string Reason,
    byte[] Payload)
{
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimeNanoseconds / 100);

    public EntryLink? LinkFor(string subject) => Subjects.FirstOrDefault(s => s.Subject == subject) is { Subject: not null } link ? link : null;
}

/// <summary>A subject of an entry and the previous entry about it (index and leaf hash), if any.</summary>
public readonly record struct EntryLink(string Subject, long? PreviousIndex, byte[]? PreviousLeafHash);

/// <summary>Strict decoder of canonical entry bytes: any deviation from the format is a <see cref="FormatException"/>.</summary>
public static class EntryReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static ExportedEntry Decode(ReadOnlySpan<byte> bytes)
    {
        var position = 0;
        if (Take(bytes, ref position, 1)[0] != 1)
        {
            throw new FormatException("unknown entry version");
        }

        var index = checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(bytes, ref position, 8)));
        var time = BinaryPrimitives.ReadInt64BigEndian(Take(bytes, ref position, 8));
        var type = String(bytes, ref position);
        var actor = String(bytes, ref position);
        var count = BinaryPrimitives.ReadUInt32BigEndian(Take(bytes, ref position, 4));
        if (count > 1024)
        {
            throw new FormatException($"entry claims {count} subjects");
        }

        var subjects = new List<EntryLink>((int)count);
        for (var i = 0; i < count; i++)
        {
            var subject = String(bytes, ref position);
            subjects.Add(Take(bytes, ref position, 1)[0] switch
            {
                0 => new EntryLink(subject, null, null),
                1 => new EntryLink(subject, checked((long)BinaryPrimitives.ReadUInt64BigEndian(Take(bytes, ref position, 8))), Take(bytes, ref position, 32).ToArray()),
                _ => throw new FormatException("subject link flag is not 0 or 1"),
            });
        }

        var reason = String(bytes, ref position);
        var payload = Take(bytes, ref position, checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(bytes, ref position, 4)))).ToArray();
        var saltLength = Take(bytes, ref position, 1)[0];
        if (saltLength is < 16 or > 32)
        {
            throw new FormatException("salt length outside 16–32");
        }

        Take(bytes, ref position, saltLength);
        if (position != bytes.Length)
        {
            throw new FormatException("trailing bytes after the entry");
        }

        return new ExportedEntry(index, time, type, actor, subjects, reason, payload);
    }

    private static string String(ReadOnlySpan<byte> bytes, ref int position)
    {
        var length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(Take(bytes, ref position, 4)));
        try
        {
            return StrictUtf8.GetString(Take(bytes, ref position, length));
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException("a string field is not valid UTF-8", e);
        }
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int position, int length)
    {
        if (length < 0 || bytes.Length - position < length)
        {
            throw new FormatException("entry is truncated");
        }

        var slice = bytes.Slice(position, length);
        position += length;
        return slice;
    }
}
