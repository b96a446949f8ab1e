using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Tests.Merkle;

/// <summary>The known answers of ../shared/vectors/merkle.md.</summary>
public sealed class MerkleKnownAnswerTests
{
    private static readonly byte[][] Leaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        Convert.FromHexString("5051525354555657"), Convert.FromHexString("606162636465666768696a6b6c6d6e6f"),
    ];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static readonly Dictionary<string, string> Named = new()
    {
        ["L1"] = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        ["L2"] = "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        ["L4"] = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ["L6"] = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        ["M[2:4]"] = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        ["M[4:6]"] = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        ["M[6:8]"] = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ["M[4:8]"] = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ["R1"] = Roots[1],
        ["R2"] = Roots[2],
        ["R4"] = Roots[4],
    };

    private static MerkleTree Tree()
    {
        var tree = new MerkleTree();
        foreach (var leaf in Leaves)
        {
            tree.Append(MerkleHash.Leaf(leaf));
        }

        return tree;
    }

    private static Sha256Digest[] Path(params string[] names) => names.Select(n => Sha256Digest.ParseHex(Named[n])).ToArray();

    [Fact]
    public void Root_EveryPrefixOfTheVectorLeaves_MatchesTheKnownRoot()
    {
        var tree = Tree();
        for (var n = 0; n <= 8; n++)
        {
            MerkleProofs.Root(tree, n).ToHex().Should().Be(Roots[n], $"root of size {n}");
        }
    }

    [Fact]
    public void CompactRange_AppendingTheVectorLeaves_GivesEveryKnownRoot()
    {
        var range = new CompactRange();
        range.Root().ToHex().Should().Be(Roots[0]);
        for (var n = 1; n <= 8; n++)
        {
            range.Append(MerkleHash.Leaf(Leaves[n - 1]));
            range.Root().ToHex().Should().Be(Roots[n]);
            CompactRange.FromNodes(Tree(), n).Root().ToHex().Should().Be(Roots[n], "the edge rebuilt from stored nodes");
        }
    }

    [Fact]
    public void Hashes_SingleLeafAndNode_MatchTheKnownValues()
    {
        MerkleHash.Leaf("L123456"u8).ToHex().Should().Be("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
        MerkleHash.Node("N123"u8, "N456"u8).ToHex().Should().Be("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
        var tree = Tree();
        MerkleHash.Node(tree.PerfectNode(0, 2), tree.PerfectNode(0, 3)).ToHex().Should().Be(Named["M[2:4]"]);
        tree.PerfectNode(2, 1).ToHex().Should().Be(Named["M[4:8]"]);
    }

    [Theory]
    [InlineData(0, 8, new[] { "L1", "M[2:4]", "M[4:8]" })]
    [InlineData(5, 8, new[] { "L4", "M[6:8]", "R4" })]
    [InlineData(2, 3, new[] { "R2" })]
    [InlineData(1, 5, new[] { "R1", "M[2:4]", "L4" })]
    public void Inclusion_VectorCases_ProduceAndVerifyTheKnownPath(int index, int size, string[] expected)
    {
        var tree = Tree();
        var path = MerkleProofs.Inclusion(tree, index, size);
        path.Should().Equal(Path(expected));
        MerkleProofs.VerifyInclusion(MerkleHash.Leaf(Leaves[index]), index, size, path, Sha256Digest.ParseHex(Roots[size])).Should().BeTrue();
    }

    [Theory]
    [InlineData(1, 8, new[] { "L1", "M[2:4]", "M[4:8]" })]
    [InlineData(6, 8, new[] { "M[4:6]", "M[6:8]", "R4" })]
    [InlineData(2, 5, new[] { "M[2:4]", "L4" })]
    [InlineData(6, 7, new[] { "M[4:6]", "L6", "R4" })]
    public void Consistency_VectorCases_ProduceAndVerifyTheKnownPath(int oldSize, int newSize, string[] expected)
    {
        var tree = Tree();
        var path = MerkleProofs.Consistency(tree, oldSize, newSize);
        path.Should().Equal(Path(expected));
        MerkleProofs.VerifyConsistency(oldSize, newSize, Sha256Digest.ParseHex(Roots[oldSize]), Sha256Digest.ParseHex(Roots[newSize]), path).Should().BeTrue();
    }

    [Fact]
    public void VerifyInclusion_RightPathAtTheWrongIndex_IsRejected()
    {
        // The vector's trap: [R2] lifts L2 to R3 at index 2; a verifier without the exact
        // path-length check (RFC 9162 §2.1.3.2) also accepts it at index 1.
        var leaf = Sha256Digest.ParseHex(Named["L2"]);
        var root = Sha256Digest.ParseHex(Roots[3]);
        MerkleProofs.VerifyInclusion(leaf, 2, 3, Path("R2"), root).Should().BeTrue();
        MerkleProofs.VerifyInclusion(leaf, 1, 3, Path("R2"), root).Should().BeFalse();
    }

    [Fact]
    public void VerifyInclusion_PathOneTooLongOrShortOrIndexOutOfRange_IsRejected()
    {
        var tree = Tree();
        var leaf = MerkleHash.Leaf(Leaves[5]);
        var root = Sha256Digest.ParseHex(Roots[8]);
        var path = MerkleProofs.Inclusion(tree, 5, 8);
        MerkleProofs.VerifyInclusion(leaf, 5, 8, path.Take(2).ToList(), root).Should().BeFalse();
        MerkleProofs.VerifyInclusion(leaf, 5, 8, [.. path, tree.PerfectNode(0, 0)], root).Should().BeFalse();
        MerkleProofs.VerifyInclusion(leaf, 8, 8, path, root).Should().BeFalse();
        MerkleProofs.VerifyInclusion(leaf, -1, 8, path, root).Should().BeFalse();
    }

    [Fact]
    public void VerifyConsistency_PathOneTooLongOrShort_IsRejected()
    {
        var tree = Tree();
        var path = MerkleProofs.Consistency(tree, 6, 8);
        var (r6, r8) = (Sha256Digest.ParseHex(Roots[6]), Sha256Digest.ParseHex(Roots[8]));
        MerkleProofs.VerifyConsistency(6, 8, r6, r8, path.Take(2).ToList()).Should().BeFalse();
        MerkleProofs.VerifyConsistency(6, 8, r6, r8, [.. path, r6]).Should().BeFalse();
        MerkleProofs.VerifyConsistency(8, 6, r8, r6, path).Should().BeFalse();
        // Equal sizes: only an empty proof between equal roots.
        MerkleProofs.VerifyConsistency(8, 8, r8, r8, []).Should().BeTrue();
        MerkleProofs.VerifyConsistency(8, 8, r8, r6, []).Should().BeFalse();
    }
}
