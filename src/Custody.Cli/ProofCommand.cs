using System.Text.Json;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody proof --data DIR --index N [--size S] [--key KEY] [--json]</c>: an inclusion proof for one
/// entry, checked against the root of the newest signed checkpoint (or the one of --size entries),
/// with everything docs/ledger-format.md needs to check it by hand. Exit 0 only when it verifies.
/// </summary>
internal static class ProofCommand
{
    public static int Run(Arguments arguments)
    {
        var index = arguments.Long("index") ?? throw new UsageException("--index is required.");
        NoteVerifierKey? pinned;
        try
        {
            pinned = arguments.Value("key") is { } keyText ? NoteVerifierKey.Parse(keyText) : null;
        }
        catch (FormatException e)
        {
            throw new UsageException($"--key: {e.Message}");
        }

        using var vault = Output.OpenVault(arguments);
        var checkpoints = vault.Ledger.CheckpointNotes();
        if (checkpoints.Count == 0)
        {
            throw new VaultException("No checkpoint has been signed yet: a proof is checked against a signed root only.");
        }

        var size = arguments.Long("size") ?? checkpoints[^1].Size;
        var note = checkpoints.FirstOrDefault(c => c.Size == size).Note
            ?? throw new VaultException($"No signed checkpoint covers exactly {size} entries: a proof is checked against a signed root only (signed sizes: {string.Join(", ", checkpoints.Select(c => c.Size).TakeLast(5))}{(checkpoints.Count > 5 ? ", ..." : string.Empty)}).");
        if (index < 0 || index >= size)
        {
            throw new VaultException($"Entry {index} is not in the tree of size {size}" +
                (arguments.Value("size") is null ? " (the newest checkpoint); it is covered once the next checkpoint is signed." : "."));
        }

        // The root comes from the signed note, never from the stored tree: stored nodes are as editable as any row.
        var key = pinned ?? vault.VerifierKey;
        var signed = Checkpoint.Open(note, key, out var problem);
        var entry = vault.Ledger.Read(index);
        var bytes = LedgerEntryCodec.Encode(entry);
        var leaf = MerkleHash.Leaf(bytes);
        var path = vault.Ledger.InclusionProof(index, size);
        var verified = signed is not null && signed.Size == size && MerkleProofs.VerifyInclusion(leaf, index, size, path, signed.Root);
        var failure = signed is null ? $"the checkpoint of size {size} does not open with the key: {problem}"
            : signed.Size != size ? $"the signed checkpoint says {signed.Size} entries, not {size}"
            : !verified ? (vault.Ledger.Root(size) == signed.Root
                ? "the entry and path do not lead to the signed root"
                : "the stored tree does not match the signed checkpoint (entries or nodes were changed): run custody verify")
            : null;

        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                index,
                treeSize = size,
                entry = Convert.ToHexStringLower(bytes),
                leafHash = leaf.ToHex(),
                path = path.Select(p => p.ToHex()),
                root = signed?.Root.ToHex(),
                checkpoint = note,
                verifierKey = key.ToString(),
                keyPinned = pinned is not null,
                verified,
                problem = failure,
            }, Output.Json));
        }
        else
        {
            Console.WriteLine($"entry {index} ({entry.Type}) in the tree of {size} entries");
            Console.WriteLine($"leaf hash  {leaf.ToHex()}");
            for (var i = 0; i < path.Count; i++)
            {
                Console.WriteLine($"path[{i}]    {path[i].ToHex()}");
            }

            Console.WriteLine($"signed root {signed?.Root.ToHex() ?? "(none: the checkpoint does not open)"}");
            Console.WriteLine($"checkpoint:\n{note}");
            Console.WriteLine(verified
                ? $"proof verifies against the signed checkpoint{(pinned is null ? " (key from the vault itself: pin it with --key to rule out a replaced key)" : string.Empty)}"
                : $"PROOF DOES NOT VERIFY against the signed checkpoint: {failure}");
        }

        return verified ? 0 : 1;
    }
}
