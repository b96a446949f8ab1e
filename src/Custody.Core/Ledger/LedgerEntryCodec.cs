using System.Buffers.Binary;
using System.Text;
using NodaTime;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// The one canonical byte encoding of an entry (docs/ledger-format.md is the normative text).
/// Integers are big-endian, strings are UTF-8 with a u32 length, times are i64 nanoseconds since
/// the Unix epoch (UTC). The encoding is a pure function of the fields, so a verifier recomputes it.
/// </summary>
public static class LedgerEntryCodec
{
    public const byte Version = 1;
    public const int MinSaltLength = 16;
    public const int MaxSaltLength = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Encode(LedgerEntry entry)
    {
        if (entry.Salt.Length is < MinSaltLength or > MaxSaltLength)
        {
            throw new ArgumentException($"Salt must be {MinSaltLength}–{MaxSaltLength} bytes.", nameof(entry));
        }

        var writer = new Writer(256 + entry.Payload.Length);
        writer.U8(Version);
        writer.U64((ulong)entry.Index);
        writer.I64((entry.Time - NodaConstants.UnixEpoch).ToInt64Nanoseconds());
        writer.String(entry.Type);
        writer.String(entry.Actor);
        writer.U32((uint)entry.Subjects.Count);
        foreach (var link in entry.Subjects)
        {
            writer.String(link.Subject);
            if (link.PreviousIndex is { } previous && link.PreviousLeafHash is { } previousHash)
            {
                writer.U8(1);
                writer.U64((ulong)previous);
                writer.Digest(previousHash);
            }
            else
            {
                writer.U8(0);
            }
        }

        writer.String(entry.Reason);
        writer.Bytes(entry.Payload);
        writer.U8((byte)entry.Salt.Length);
        writer.Raw(entry.Salt);
        return writer.ToArray();
    }

    /// <summary>Decodes canonical bytes; anything else (trailing bytes, bad UTF-8, unknown version) is a <see cref="FormatException"/>.</summary>
    public static LedgerEntry Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        var version = reader.U8();
        if (version != Version)
        {
            throw new FormatException($"Unknown ledger entry version {version}.");
        }

        var index = checked((long)reader.U64());
        var time = NodaConstants.UnixEpoch + Duration.FromNanoseconds(reader.I64());
        var type = reader.String();
        var actor = reader.String();
        var count = reader.U32();
        if (count > 1024)
        {
            throw new FormatException($"Entry claims {count} subjects.");
        }

        var subjects = new List<SubjectLink>((int)count);
        for (var i = 0; i < count; i++)
        {
            var subject = reader.String();
            var hasPrevious = reader.U8();
            subjects.Add(hasPrevious switch
            {
                0 => new SubjectLink(subject, null, null),
                1 => new SubjectLink(subject, checked((long)reader.U64()), reader.Digest()),
                _ => throw new FormatException("Subject link flag must be 0 or 1."),
            });
        }

        var reason = reader.String();
        var payload = reader.Bytes();
        var saltLength = reader.U8();
        if (saltLength is < MinSaltLength or > MaxSaltLength)
        {
            throw new FormatException($"Salt length {saltLength} is outside {MinSaltLength}–{MaxSaltLength}.");
        }

        var salt = reader.Raw(saltLength);
        if (!reader.AtEnd)
        {
            throw new FormatException("Trailing bytes after the entry.");
        }

        return new LedgerEntry(index, time, type, actor, subjects, reason, payload, salt);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position == _data.Length;

        public byte U8() => Take(1)[0];

        public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

        public long I64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

        public Sha256Digest Digest() => new(Take(Sha256Digest.Length));

        public string String()
        {
            var bytes = Take(checked((int)U32()));
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new FormatException("A string field is not valid UTF-8.", e);
            }
        }

        public byte[] Bytes() => Take(checked((int)U32())).ToArray();

        public byte[] Raw(int length) => Take(length).ToArray();

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || _data.Length - _position < length)
            {
                throw new FormatException("Entry is truncated.");
            }

            var slice = _data.Slice(_position, length);
            _position += length;
            return slice;
        }
    }

    private sealed class Writer(int capacity)
    {
        private byte[] _buffer = new byte[capacity];
        private int _length;

        public void U8(byte value) => Span(1)[0] = value;

        public void U32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Span(4), value);

        public void U64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Span(8), value);

        public void I64(long value) => BinaryPrimitives.WriteInt64BigEndian(Span(8), value);

        public void Digest(Sha256Digest digest) => digest.CopyTo(Span(Sha256Digest.Length));

        public void String(string value)
        {
            var count = StrictUtf8.GetByteCount(value);
            U32((uint)count);
            StrictUtf8.GetBytes(value, Span(count));
        }

        public void Bytes(byte[] value)
        {
            U32((uint)value.Length);
            Raw(value);
        }

        public void Raw(byte[] value) => value.CopyTo(Span(value.Length));

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private Span<byte> Span(int length)
        {
            if (_buffer.Length - _length < length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + length));
            }

            var span = _buffer.AsSpan(_length, length);
            _length += length;
            return span;
        }
    }
}
