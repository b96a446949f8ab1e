namespace EvidenceVault.Custody.Merkle;

/// <summary>
/// An in-memory Merkle tree holding every perfect-subtree hash (about 2n hashes for n leaves).
/// Append is amortised O(1); roots and proofs come from <see cref="MerkleProofs"/>. Not thread-safe.
/// </summary>
public sealed class MerkleTree : IMerkleNodes
{
    private readonly List<List<Sha256Digest>> _levels = [[]];

    public long Size => _levels[0].Count;

    public void Append(Sha256Digest leafHash)
    {
        var level = 0;
        var index = (long)_levels[0].Count;
        _levels[0].Add(leafHash);
        var hash = leafHash;
        // An odd index completes a pair: its parent becomes a perfect node one level up.
        while ((index & 1) == 1)
        {
            hash = MerkleHash.Node(_levels[level][(int)(index - 1)], hash);
            level++;
            index >>= 1;
            if (_levels.Count == level)
            {
                _levels.Add([]);
            }

            _levels[level].Add(hash);
        }
    }

    public Sha256Digest PerfectNode(int level, long index) => _levels[level][checked((int)index)];

    /// <summary>Count of perfect nodes at a level (used to compare against a stored copy).</summary>
    internal int NodesAtLevel(int level) => level < _levels.Count ? _levels[level].Count : 0;

    internal int Levels => _levels.Count;
}
