using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody proof</c>: an inclusion proof for one entry, against the newest signed checkpoint
/// (or the tree of --size entries), with everything docs/ledger-format.md needs to check it by hand.
/// </summary>
internal static class ProofCommand
{
    public static int Run(string[] args)
    {
        var arguments = Arguments.Parse(args, ["data", "index", "size"], ["json"]);
        var index = arguments.Long("index") ?? throw new UsageException("--index is required.");
        using var vault = Output.OpenVault(arguments);
        var checkpoints = vault.Ledger.CheckpointNotes();
        var size = arguments.Long("size") ?? (checkpoints.Count > 0 ? checkpoints[^1].Size : vault.Ledger.Size);
        var ledgerSize = vault.Ledger.Size;
        if (size > ledgerSize || size <= 0)
        {
            throw new VaultException($"--size {size} is outside the ledger (1..{ledgerSize}).");
        }

        if (index >= size)
        {
            throw new VaultException($"Entry {index} is not in the tree of size {size}" +
                (arguments.Value("size") is null ? " (the newest checkpoint); it is covered once the next checkpoint is signed." : "."));
        }

        var entry = vault.Ledger.Read(index);
        var bytes = LedgerEntryCodec.Encode(entry);
        var leaf = MerkleHash.Leaf(bytes);
        var path = vault.Ledger.InclusionProof(index, size);
        var root = vault.Ledger.Root(size);
        var note = checkpoints.FirstOrDefault(c => c.Size == size).Note;
        var verified = MerkleProofs.VerifyInclusion(leaf, index, size, path, root);

        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                index,
                treeSize = size,
                entry = Convert.ToHexStringLower(bytes),
                leafHash = leaf.ToHex(),
                path = path.Select(p => p.ToHex()),
                root = root.ToHex(),
                checkpoint = note,
                verifierKey = vault.Identity.VerifierKey,
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

            Console.WriteLine($"root       {root.ToHex()}");
            Console.WriteLine(note is null ? "no checkpoint was signed at this size" : $"checkpoint:\n{note}");
            Console.WriteLine(verified ? "proof verifies" : "PROOF DOES NOT VERIFY");
        }

        return verified ? 0 : 1;
    }
}
