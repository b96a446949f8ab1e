using System.Numerics;

namespace EvidenceVault.Custody.Merkle;

/// <summary>
/// Roots, inclusion proofs and consistency proofs (RFC 9162 §2.1.3, §2.1.4) built from stored
/// perfect-subtree hashes, and their strict verifiers. A proof for a tree of n leaves has at most
/// ⌈log2 n⌉ hashes and reads O(log n) stored nodes per hash.
/// </summary>
public static class MerkleProofs
{
    public static Sha256Digest Root(IMerkleNodes nodes, long size)
    {
        CheckSize(nodes, size);
        return size == 0 ? Sha256Digest.Empty : Subtree(nodes, 0, size);
    }

    /// <summary>The audit path for leaf <paramref name="index"/> in the tree of the first <paramref name="size"/> leaves.</summary>
    public static IReadOnlyList<Sha256Digest> Inclusion(IMerkleNodes nodes, long index, long size)
    {
        CheckSize(nodes, size);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Leaf index must be below the tree size {size}.");
        }

        var path = new List<Sha256Digest>(64 - BitOperations.LeadingZeroCount((ulong)size));
        // PATH(m, D[start:start+n]) of RFC 9162 §2.1.3.1, unrolled: siblings are collected top-down
        // and reversed, because the path lists them from the leaf upwards.
        long start = 0, n = size, m = index;
        while (n > 1)
        {
            var k = LargestPowerOfTwoBelow(n);
            if (m < k)
            {
                path.Add(Subtree(nodes, start + k, start + n));
                n = k;
            }
            else
            {
                path.Add(Subtree(nodes, start, start + k));
                start += k;
                m -= k;
                n -= k;
            }
        }

        path.Reverse();
        return path;
    }

    /// <summary>The proof that the tree of <paramref name="oldSize"/> leaves is a prefix of the tree of <paramref name="newSize"/> leaves.</summary>
    public static IReadOnlyList<Sha256Digest> Consistency(IMerkleNodes nodes, long oldSize, long newSize)
    {
        CheckSize(nodes, newSize);
        if (oldSize < 0 || oldSize > newSize)
        {
            throw new ArgumentOutOfRangeException(nameof(oldSize), oldSize, $"Old size must be between 0 and {newSize}.");
        }

        var path = new List<Sha256Digest>();
        if (oldSize == 0 || oldSize == newSize)
        {
            return path;
        }

        // SUBPROOF(m, D[start:start+n], b) of RFC 9162 §2.1.4.1, unrolled top-down like Inclusion.
        long start = 0, n = newSize, m = oldSize;
        var wholeOldTree = true;
        while (m != n)
        {
            var k = LargestPowerOfTwoBelow(n);
            if (m <= k)
            {
                path.Add(Subtree(nodes, start + k, start + n));
                n = k;
            }
            else
            {
                path.Add(Subtree(nodes, start, start + k));
                start += k;
                m -= k;
                n -= k;
                wholeOldTree = false;
            }
        }

        if (!wholeOldTree)
        {
            path.Add(Subtree(nodes, start, start + n));
        }

        path.Reverse();
        return path;
    }

    /// <summary>RFC 9162 §2.1.3.2, including the check that the path has exactly the right length (the court's verifier's code).</summary>
    public static bool VerifyInclusion(Sha256Digest leafHash, long index, long size, IReadOnlyList<Sha256Digest> path, Sha256Digest root) =>
        Verifier.Rfc9162.VerifyInclusion(leafHash.ToArray(), index, size, [.. path.Select(p => p.ToArray())], root.ToArray());

    /// <summary>RFC 9162 §2.1.4.2. Equal sizes need an empty proof and equal roots; every tree extends the empty one.</summary>
    public static bool VerifyConsistency(long oldSize, long newSize, Sha256Digest oldRoot, Sha256Digest newRoot, IReadOnlyList<Sha256Digest> path) =>
        Verifier.Rfc9162.VerifyConsistency(oldSize, newSize, oldRoot.ToArray(), newRoot.ToArray(), [.. path.Select(p => p.ToArray())]);

    /// <summary>MTH over leaves [start, end); start is aligned so every left part is a stored perfect node.</summary>
    private static Sha256Digest Subtree(IMerkleNodes nodes, long start, long end)
    {
        var width = end - start;
        if (BitOperations.IsPow2(width))
        {
            var level = BitOperations.Log2((ulong)width);
            return nodes.PerfectNode(level, start >> level);
        }

        var k = LargestPowerOfTwoBelow(width);
        return MerkleHash.Node(Subtree(nodes, start, start + k), Subtree(nodes, start + k, end));
    }

    private static long LargestPowerOfTwoBelow(long n) => 1L << BitOperations.Log2((ulong)(n - 1));

    private static void CheckSize(IMerkleNodes nodes, long size)
    {
        if (size < 0 || size > nodes.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"The tree holds {nodes.Size} leaves.");
        }
    }
}
