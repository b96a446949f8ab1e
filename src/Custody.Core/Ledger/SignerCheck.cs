using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Merkle;
using NodaTime;

namespace EvidenceVault.Custody.Ledger;

/// <summary>
/// What the checkpoint signer checks of the entries a new checkpoint would be the first to cover,
/// on either store: a signature vouches for them, so none written around the ledger may be among them.
/// </summary>
internal static class SignerCheck
{
    /// <summary>How a refusal's message begins (the node's /health shows it until a checkpoint is signed again).</summary>
    public const string RefusalPrefix = "Refusing to sign a checkpoint: ";

    /// <summary>Said loudly: logged as fatal, and the command that asked fails; nothing is signed until an operator has looked.</summary>
    public static VaultException Refuse(string refusal)
    {
        Serilog.Log.Fatal("Refusing to sign a checkpoint: {Refusal}", refusal);
        return new VaultException($"{RefusalPrefix}{refusal}. Run custody verify.");
    }

    /// <summary>
    /// Why [<paramref name="from"/>, <paramref name="size"/>) must not be signed over, or null. Each
    /// entry must be stored as bytes that decode to an entry of its index, with its columns equal to
    /// those bytes, dated no earlier than the entry before it, with its leaf hash as the tree's node,
    /// and sealed by the vault's key (<see cref="EntrySeal"/>). <paramref name="rows"/> start at
    /// <c>from − 1</c> (for the time floor), in index order.
    /// </summary>
    public static string? Refusal(IEnumerable<RawEntry> rows, long from, long size, Func<long, Sha256Digest> nodeAt, Func<IReadOnlyList<EntrySeal>> seals, NoteVerifierKey key)
    {
        var leaves = new List<Sha256Digest>((int)Math.Min(size - from, 1_000_000));
        long? previousTime = null;
        var expected = Math.Max(0, from - 1);
        foreach (var row in rows)
        {
            if (row.Malformed is { } malformed)
            {
                return $"ledger entry {row.Index}: {malformed}";
            }

            if (row.Index != expected)
            {
                return $"ledger entry {expected} is missing (next stored is {row.Index})";
            }

            LedgerEntry entry;
            try
            {
                entry = LedgerEntryCodec.Decode(row.Entry);
            }
            catch (FormatException e)
            {
                return $"ledger entry {row.Index} is not a valid entry: {e.Message}";
            }

            var time = (entry.Time - NodaConstants.UnixEpoch).ToInt64Nanoseconds();
            if (entry.Index != row.Index || time != row.TimeNanoseconds || entry.Type != row.Type || entry.Actor != row.Actor)
            {
                return $"ledger entry {row.Index}: its columns do not match its bytes";
            }

            if (previousTime is { } before && time < before)
            {
                return $"ledger entry {row.Index} is dated before the entry preceding it";
            }

            if (row.Index >= from)
            {
                var leaf = MerkleHash.Leaf(row.Entry);
                if (nodeAt(row.Index) != leaf)
                {
                    return $"ledger entry {row.Index} is not the leaf the tree holds at its place";
                }

                leaves.Add(leaf);
            }

            previousTime = time;
            expected++;
        }

        if (expected < size)
        {
            return $"ledger entry {expected} is missing";
        }

        // A seal that began before `from` (a batch split by an older checkpoint) reads those leaves from the tree the signed root vouches for.
        return EntrySeal.FirstUnsealed(key, from, size, seals(), index => index >= from ? leaves[(int)(index - from)] : nodeAt(index));
    }
}
