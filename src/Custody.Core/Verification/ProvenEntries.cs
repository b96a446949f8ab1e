using System.Collections.Concurrent;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Verification;

/// <summary>
/// Ledger entries a decision may rest on (issue 18 §1–2): an entry is used only once it is proven to
/// be in the tree under a checkpoint this node verified with its own key, or, when newer than the
/// newest checkpoint, sealed by that key (<see cref="EntrySeal"/>). A row in a derived table
/// (<c>role_grant</c>, <c>api_key</c>) only says where to look; the entry it names decides. Entries
/// never change, so one proven is remembered for the life of the process.
/// </summary>
public sealed class ProvenEntries(Vault vault)
{
    private readonly ConcurrentDictionary<long, LedgerEntry> _proven = new();
    private SignedRoot? _checkpoint; // a reference: requests on other threads see all of it or none

    private sealed record SignedRoot(long Size, Sha256Digest Root);

    /// <summary>The entry at <paramref name="index"/> if it is proven; otherwise null and why not.</summary>
    public LedgerEntry? Entry(long index, out string? problem)
    {
        problem = null;
        if (_proven.TryGetValue(index, out var known))
        {
            return known;
        }

        var bytes = index >= 0 ? vault.Ledger.EntryBytes(index) : null;
        if (bytes is null)
        {
            problem = $"ledger entry {index} is not stored";
            return null;
        }

        LedgerEntry entry;
        try
        {
            entry = LedgerEntryCodec.Decode(bytes);
        }
        catch (FormatException e)
        {
            problem = $"ledger entry {index} is not a valid entry: {e.Message}";
            return null;
        }

        if (entry.Index != index)
        {
            problem = $"ledger entry {index} holds the bytes of entry {entry.Index}";
            return null;
        }

        var key = vault.TrustedKey;
        var leaf = MerkleHash.Leaf(bytes);
        var checkpoint = LatestCheckpoint(key);
        if (checkpoint is { } signed && index < signed.Size)
        {
            if (!MerkleProofs.VerifyInclusion(leaf, index, signed.Size, vault.Ledger.InclusionProof(index, signed.Size), signed.Root))
            {
                problem = $"ledger entry {index} is not in the tree of the signed checkpoint of size {signed.Size}";
                return null;
            }
        }
        else if (Unsealed(key, index, leaf) is { } unsealed)
        {
            problem = unsealed;
            return null;
        }

        return _proven[index] = entry;
    }

    /// <summary>The newest stored checkpoint whose signature verifies under the node's key (null if none does).</summary>
    private SignedRoot? LatestCheckpoint(NoteVerifierKey key)
    {
        if (vault.Ledger.LatestCheckpointNote() is not { } latest)
        {
            return null;
        }

        if (_checkpoint is { } cached && cached.Size == latest.Size)
        {
            return cached;
        }

        var checkpoint = Checkpoint.Open(latest.Note, key, out _);
        if (checkpoint is null || checkpoint.Size != latest.Size)
        {
            return null; // an entry is then proven by its seal alone; custody verify names the bad checkpoint
        }

        return _checkpoint = new SignedRoot(checkpoint.Size, checkpoint.Root);
    }

    private string? Unsealed(NoteVerifierKey key, long index, Sha256Digest leaf)
    {
        var seal = vault.Ledger.Seals(index).FirstOrDefault();
        if (seal is null || seal.First > index || seal.Count > 100_000)
        {
            return $"ledger entry {index} is not sealed by the vault's key and no signed checkpoint covers it";
        }

        var leaves = new List<Sha256Digest>((int)seal.Count);
        for (var i = seal.First; i <= seal.Last; i++)
        {
            leaves.Add(i == index ? leaf : vault.Ledger.EntryBytes(i) is { } other ? MerkleHash.Leaf(other) : default);
        }

        return seal.Verifies(key, leaves) ? null : $"ledger entry {index}: its seal does not verify under the vault's key";
    }
}
