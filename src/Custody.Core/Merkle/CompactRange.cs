namespace EvidenceVault.Custody.Merkle;

/// <summary>
/// The right edge of a growing tree: the roots of the perfect subtrees that make up the first n
/// leaves (one per set bit of n, largest first). Enough to append and to compute the root in
/// O(log n) without any other stored hash.
/// </summary>
public sealed class CompactRange
{
    private readonly List<(int Level, Sha256Digest Hash)> _peaks = [];

    public long Size { get; private set; }

    /// <summary>Rebuilds the edge of a stored tree of <paramref name="size"/> leaves from its perfect nodes.</summary>
    public static CompactRange FromNodes(IMerkleNodes nodes, long size)
    {
        var range = new CompactRange { Size = size };
        long start = 0;
        for (var level = 62; level >= 0; level--)
        {
            var width = 1L << level;
            if ((size & width) != 0)
            {
                range._peaks.Add((level, nodes.PerfectNode(level, start >> level)));
                start += width;
            }
        }

        return range;
    }

    /// <summary>Appends a leaf; <paramref name="completed"/> receives every perfect node it completes, leaf first.</summary>
    public void Append(Sha256Digest leafHash, Action<int, long, Sha256Digest>? completed = null)
    {
        var index = Size;
        completed?.Invoke(0, index, leafHash);
        var hash = leafHash;
        var level = 0;
        while (_peaks.Count > 0 && _peaks[^1].Level == level)
        {
            hash = MerkleHash.Node(_peaks[^1].Hash, hash);
            _peaks.RemoveAt(_peaks.Count - 1);
            level++;
            index >>= 1;
            completed?.Invoke(level, index, hash);
        }

        _peaks.Add((level, hash));
        Size++;
    }

    public Sha256Digest Root()
    {
        if (_peaks.Count == 0)
        {
            return Sha256Digest.Empty;
        }

        var root = _peaks[^1].Hash;
        for (var i = _peaks.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_peaks[i].Hash, root);
        }

        return root;
    }
}
