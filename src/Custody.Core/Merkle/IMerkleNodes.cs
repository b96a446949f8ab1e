namespace EvidenceVault.Custody.Merkle;

/// <summary>
/// The stored hashes of a Merkle tree's perfect subtrees: node (level, index) is the root over
/// leaves [index·2^level, (index+1)·2^level). Every root and proof is assembled from O(log n) of
/// them, so no question is ever answered by rebuilding the tree.
/// Implemented in memory (<see cref="MerkleTree"/>, used by verifiers) and by the catalog's
/// append-only node table.
/// </summary>
public interface IMerkleNodes
{
    /// <summary>Number of leaves stored.</summary>
    long Size { get; }

    /// <summary>The hash of a complete subtree; its leaves must all lie below <see cref="Size"/>.</summary>
    Sha256Digest PerfectNode(int level, long index);
}
