using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EvidenceVault.Custody;

/// <summary>
/// A SHA-256 value: the identity of an original's bytes (its object key), of a ledger leaf or of
/// a Merkle node. Written as 64 lower-case hex digits everywhere a person or a file sees it.
/// </summary>
public readonly struct Sha256Digest : IEquatable<Sha256Digest>
{
    public const int Length = 32;

    // Four longs keep the value a compact, copyable struct with cheap equality.
    private readonly ulong _a, _b, _c, _d;

    public Sha256Digest(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A SHA-256 digest is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>SHA-256 of the empty string: the root of an empty Merkle tree (RFC 9162 §2.1.1).</summary>
    public static Sha256Digest Empty { get; } = Of(ReadOnlySpan<byte>.Empty);

    public static Sha256Digest Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Length];
        SHA256.HashData(data, hash);
        return new Sha256Digest(hash);
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        CopyTo(bytes);
        return bytes;
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public string ToBase64() => Convert.ToBase64String(ToArray());

    public override string ToString() => ToHex();

    public static Sha256Digest ParseHex(string hex)
    {
        if (!TryParseHex(hex, out var digest))
        {
            throw new FormatException($"'{hex}' is not a SHA-256 digest (64 hex digits).");
        }

        return digest;
    }

    public static bool TryParseHex(string? hex, out Sha256Digest digest)
    {
        digest = default;
        if (hex is null || hex.Length != Length * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Length)
        {
            return false;
        }

        digest = new Sha256Digest(bytes);
        return true;
    }

    public bool Equals(Sha256Digest other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is Sha256Digest other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(Sha256Digest left, Sha256Digest right) => left.Equals(right);

    public static bool operator !=(Sha256Digest left, Sha256Digest right) => !left.Equals(right);
}
