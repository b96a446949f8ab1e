using System.Security.Cryptography;

namespace EvidenceVault.Custody.Merkle;

/// <summary>
/// RFC 9162 §2.1.1 hashing: a leaf is SHA-256(0x00 ‖ entry), an interior node SHA-256(0x01 ‖ left ‖ right).
/// The distinct prefixes stop a node from being passed off as a leaf (second-preimage attack).
/// </summary>
public static class MerkleHash
{
    public static Sha256Digest Leaf(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<byte> prefix = [0x00];
        hash.AppendData(prefix);
        hash.AppendData(entry);
        Span<byte> result = stackalloc byte[Sha256Digest.Length];
        hash.GetHashAndReset(result);
        return new Sha256Digest(result);
    }

    /// <summary>The node rule over raw child bytes (the vectors use short ASCII children).</summary>
    public static Sha256Digest Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<byte> prefix = [0x01];
        hash.AppendData(prefix);
        hash.AppendData(left);
        hash.AppendData(right);
        Span<byte> result = stackalloc byte[Sha256Digest.Length];
        hash.GetHashAndReset(result);
        return new Sha256Digest(result);
    }

    public static Sha256Digest Node(Sha256Digest left, Sha256Digest right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * Sha256Digest.Length];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Sha256Digest.Length)..]);
        Span<byte> result = stackalloc byte[Sha256Digest.Length];
        SHA256.HashData(buffer, result);
        return new Sha256Digest(result);
    }
}
