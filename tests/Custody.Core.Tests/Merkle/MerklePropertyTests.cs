using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Tests.Merkle;

/// <summary>Every proof of every tree up to 1,000 leaves verifies; any single flipped bit breaks it.</summary>
public sealed class MerklePropertyTests
{
    private const int MaxSize = 1000;
    private static readonly Lazy<(MerkleTree Tree, Sha256Digest[] Leaves, Sha256Digest[] Roots)> Shared = new(Build);

    private static (MerkleTree, Sha256Digest[], Sha256Digest[]) Build()
    {
        var tree = new MerkleTree();
        var leaves = new Sha256Digest[MaxSize];
        var roots = new Sha256Digest[MaxSize + 1];
        roots[0] = Sha256Digest.Empty;
        for (var i = 0; i < MaxSize; i++)
        {
            leaves[i] = MerkleHash.Leaf(BitConverter.GetBytes(i));
            tree.Append(leaves[i]);
            roots[i + 1] = MerkleProofs.Root(tree, i + 1);
        }

        return (tree, leaves, roots);
    }

    [Fact]
    public void Inclusion_EveryIndexOfEverySizeUpTo1000_VerifiesWithAtMostCeilLog2Hashes()
    {
        var (tree, leaves, roots) = Shared.Value;
        Parallel.For(1, MaxSize + 1, size =>
        {
            var bound = (int)Math.Ceiling(Math.Log2(size));
            for (var index = 0; index < size; index++)
            {
                var path = MerkleProofs.Inclusion(tree, index, size);
                if (path.Count > bound || !MerkleProofs.VerifyInclusion(leaves[index], index, size, path, roots[size]))
                {
                    throw new Xunit.Sdk.XunitException($"inclusion proof ({index}, {size}) failed");
                }
            }
        });
    }

    [Fact]
    public void Consistency_EveryPairOfSizesUpTo1000FromEachOld_Verifies()
    {
        var (tree, _, roots) = Shared.Value;
        Parallel.For(1, MaxSize + 1, newSize =>
        {
            for (var oldSize = 0; oldSize <= newSize; oldSize++)
            {
                var path = MerkleProofs.Consistency(tree, oldSize, newSize);
                if (!MerkleProofs.VerifyConsistency(oldSize, newSize, roots[oldSize], roots[newSize], path))
                {
                    throw new Xunit.Sdk.XunitException($"consistency proof {oldSize} -> {newSize} failed");
                }
            }
        });
    }

    [Fact]
    public void Inclusion_AnySingleFlippedBit_IsRejected()
    {
        var (tree, leaves, roots) = Shared.Value;
        var random = new Random(9162);
        for (var size = 1; size <= MaxSize; size++)
        {
            var index = random.Next(size);
            var path = MerkleProofs.Inclusion(tree, index, size).ToArray();
            var leaf = leaves[index];
            var root = roots[size];

            MerkleProofs.VerifyInclusion(Flip(leaf, random), index, size, path, root).Should().BeFalse("flipped leaf, ({0}, {1})", index, size);
            MerkleProofs.VerifyInclusion(leaf, index, size, path, Flip(root, random)).Should().BeFalse("flipped root, ({0}, {1})", index, size);
            for (var p = 0; p < path.Length; p++)
            {
                var broken = (Sha256Digest[])path.Clone();
                broken[p] = Flip(broken[p], random);
                MerkleProofs.VerifyInclusion(leaf, index, size, broken, root).Should().BeFalse("flipped path[{0}], ({1}, {2})", p, index, size);
            }

            for (var bit = 0; bit < 11; bit++)
            {
                var otherIndex = index ^ (1 << bit);
                MerkleProofs.VerifyInclusion(leaf, otherIndex, size, path, root).Should().BeFalse("index {0} flipped to {1} in size {2}", index, otherIndex, size);
                // The size is bound to a root by the signed checkpoint, not by the path (sizes 745 and
                // 1001 share the path shape of index 225), so a flipped size is checked against the
                // root a checkpoint of that size carries.
                var otherSize = size ^ (1 << bit);
                if (otherSize <= MaxSize)
                {
                    MerkleProofs.VerifyInclusion(leaf, index, otherSize, path, roots[otherSize]).Should().BeFalse("size {0} flipped to {1}, index {2}", size, otherSize, index);
                }
            }
        }
    }

    [Fact]
    public void Consistency_AnySingleFlippedBit_IsRejected()
    {
        var (tree, _, roots) = Shared.Value;
        var random = new Random(6962);
        for (var newSize = 2; newSize <= MaxSize; newSize++)
        {
            var oldSize = 1 + random.Next(newSize - 1);
            var path = MerkleProofs.Consistency(tree, oldSize, newSize).ToArray();
            MerkleProofs.VerifyConsistency(oldSize, newSize, Flip(roots[oldSize], random), roots[newSize], path).Should().BeFalse();
            MerkleProofs.VerifyConsistency(oldSize, newSize, roots[oldSize], Flip(roots[newSize], random), path).Should().BeFalse();
            for (var p = 0; p < path.Length; p++)
            {
                var broken = (Sha256Digest[])path.Clone();
                broken[p] = Flip(broken[p], random);
                MerkleProofs.VerifyConsistency(oldSize, newSize, roots[oldSize], roots[newSize], broken).Should().BeFalse("flipped path[{0}], {1} -> {2}", p, oldSize, newSize);
            }

            for (var bit = 0; bit < 11; bit++)
            {
                var otherOld = oldSize ^ (1 << bit);
                if (otherOld != 0 && otherOld <= MaxSize)
                {
                    MerkleProofs.VerifyConsistency(otherOld, newSize, roots[Math.Min(otherOld, MaxSize)], roots[newSize], path).Should().BeFalse("old size {0} flipped to {1}", oldSize, otherOld);
                }

                var otherNew = newSize ^ (1 << bit);
                if (otherNew <= MaxSize)
                {
                    MerkleProofs.VerifyConsistency(oldSize, otherNew, roots[oldSize], roots[otherNew], path).Should().BeFalse("new size {0} flipped to {1}", newSize, otherNew);
                }
            }
        }
    }

    private static Sha256Digest Flip(Sha256Digest digest, Random random)
    {
        var bytes = digest.ToArray();
        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
        return new Sha256Digest(bytes);
    }
}
