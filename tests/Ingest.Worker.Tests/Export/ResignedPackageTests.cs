using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Verifier;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>
/// Issue 18 §6: a forger holding a genuine package re-signs it end to end with a key of his own, every
/// entry, proof and checkpoint recomputed. Only the agency's key, obtained separately, tells the two
/// apart; and a package that still shows the genuine fingerprint anywhere is caught without it.
/// </summary>
public sealed class ResignedPackageTests(ExportedCase exported) : IClassFixture<ExportedCase>
{
    [Fact]
    public void Resigned_ShowingTheGenuineFingerprintOnItsSheet_IsRejectedWithoutAPinnedKey()
    {
        var package = Resign(keepGenuineSheet: true);

        var report = ExportVerifier.Verify(package);

        report.Ok.Should().BeFalse(report.ToText());
        report.Checks.Last().En.Should().Be("manifest and sheet state the key that signed");
    }

    [Fact]
    public void Resigned_ConsistentThroughout_IsOnlySelfConsistentWithoutTheKey_AndFailsWithIt()
    {
        var package = Resign(keepGenuineSheet: false);

        var unpinned = Tools.Dotnet("custody", ["verify-export", package]);
        var pinned = Tools.Dotnet("custody", ["verify-export", package, "--key", exported.VerifierKey]);

        unpinned.ExitCode.Should().Be(3, unpinned.Output);
        unpinned.Output.Should().Contain("only self-consistent").And.NotContain(Fingerprint(exported.VerifierKey));
        pinned.ExitCode.Should().Be(1, pinned.Output);
        pinned.Output.Should().Contain("the package's key is not the key the court holds");
    }

    private static string Fingerprint(string verifierKey) => NoteVerifierKey.Parse(verifierKey).Fingerprint;

    /// <summary>What a forger can do with the package alone: a new key, every entry that names or links to a changed one re-encoded, a new tree (other leaves made up), a new signed checkpoint.</summary>
    private string Resign(bool keepGenuineSheet)
    {
        var package = exported.CopyPackage();
        string File(string path) => Path.Combine(package, path);
        var genuine = NoteVerifierKey.Parse(exported.VerifierKey);
        var forger = new NoteSigningKey(genuine.Name, RandomNumberGenerator.GetBytes(32));
        var (oldFingerprint, newFingerprint) = (genuine.Fingerprint, forger.Verifier.Fingerprint);

        // The optional stamp and consistency files vouch for the genuine checkpoint: the forger drops them.
        foreach (var optional in new[] { PackageLayout.Timestamp, PackageLayout.TimestampedCheckpoint, PackageLayout.TimestampConsistency, PackageLayout.SinceCheckpoint, PackageLayout.Consistency })
        {
            System.IO.File.Delete(File(optional));
        }

        var rewritten = new List<string> { PackageLayout.Manifest, PackageLayout.Readme };
        if (!keepGenuineSheet)
        {
            rewritten.Add(PackageLayout.SheetHtml);
        }

        foreach (var path in rewritten)
        {
            System.IO.File.WriteAllText(File(path), System.IO.File.ReadAllText(File(path)).Replace(oldFingerprint, newFingerprint, StringComparison.Ordinal).Replace(exported.VerifierKey, forger.Verifier.ToString(), StringComparison.Ordinal));
        }

        var entries = System.IO.File.ReadAllLines(File(PackageLayout.Entries)).Select(l => LedgerEntryCodec.Decode(Convert.FromHexString(l.Split(' ')[1])))
            .Where(e => e.Type != PackageLayout.TimestampEntryType).ToList();
        var newLeaves = new Dictionary<long, Sha256Digest>();
        var changed = new List<LedgerEntry>();
        foreach (var entry in entries)
        {
            var payload = entry.Payload;
            if (entry.Index == 0)
            {
                var genesis = JsonNode.Parse(payload)!;
                genesis["verifierKey"] = forger.Verifier.ToString();
                payload = Encoding.UTF8.GetBytes(genesis.ToJsonString());
            }
            else if (entry.Type == PackageLayout.ExportEntryType)
            {
                var export = JsonNode.Parse(payload)!;
                foreach (var file in export["files"]!.AsArray())
                {
                    file!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(System.IO.File.ReadAllBytes(File(file["path"]!.GetValue<string>()))));
                }

                payload = Encoding.UTF8.GetBytes(export.ToJsonString());
            }

            var links = entry.Subjects.Select(s => s.PreviousIndex is { } previous && newLeaves.TryGetValue(previous, out var leaf) ? s with { PreviousLeafHash = leaf } : s).ToList();
            var forged = entry with { Payload = payload, Subjects = links };
            newLeaves[entry.Index] = MerkleHash.Leaf(LedgerEntryCodec.Encode(forged));
            changed.Add(forged);
        }

        var size = Checkpoint.Open(System.IO.File.ReadAllText(File(PackageLayout.Checkpoint)), genuine, out _)!.Size;
        var tree = new MerkleTree();
        for (long i = 0; i < size; i++)
        {
            tree.Append(newLeaves.TryGetValue(i, out var leaf) ? leaf : new Sha256Digest(RandomNumberGenerator.GetBytes(32)));
        }

        System.IO.File.WriteAllLines(File(PackageLayout.Entries), changed.Select(e =>
            string.Join(' ', [e.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), Convert.ToHexStringLower(LedgerEntryCodec.Encode(e)), .. MerkleProofs.Inclusion(tree, e.Index, size).Select(h => h.ToHex())])));
        System.IO.File.WriteAllText(File(PackageLayout.VerifierKey), forger.Verifier + "\n");
        System.IO.File.WriteAllText(File(PackageLayout.Checkpoint), Checkpoint.Create(forger, size, MerkleProofs.Root(tree, size)).Note);
        return package;
    }
}
