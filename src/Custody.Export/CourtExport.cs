using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using EvidenceVault.Custody.Verifier;
using NodaTime.Text;

namespace EvidenceVault.Custody.Export;

/// <param name="Clips">Exactly these clips (must match an approved request); empty: the newest approved request of the case.</param>
/// <param name="Out">The package directory to create; the ZIP is written beside it as Out.zip.</param>
/// <param name="By">Who makes the export; defaults to the requester.</param>
/// <param name="TimestampAuthority">RFC 3161 TSA URL; when set, the checkpoint is time-stamped.</param>
/// <param name="SinceCheckpoint">A checkpoint the court already holds: the package proves the ledger only grew since.</param>
public sealed record ExportOptions(
    string CaseNumber,
    IReadOnlyList<Sha256Digest> Clips,
    string Out,
    string? Reason = null,
    string? By = null,
    bool Iso = false,
    Uri? TimestampAuthority = null,
    string? SinceCheckpoint = null);

public sealed record ExportResult(string Directory, string Zip, string? Iso, long EntryIndex, long CheckpointSize, string ManifestSha256, VerificationReport Report);

/// <summary>
/// Writes a certified export (R9): the originals byte for byte, the manifest, every custody entry
/// about the case and its clips with inclusion proofs against one signed checkpoint, the agency's
/// key, the explanation sheet, a canonical ZIP and optionally an ISO image and an RFC 3161 stamp.
/// Needs an approved request (R8); the export itself is a ledger entry naming the manifest's hash.
/// docs/export-format.md is the format.
/// </summary>
public static class CourtExport
{
    public static async Task<ExportResult> WriteAsync(Vault vault, ExportOptions options, CancellationToken cancellationToken = default)
    {
        // What the manifest states is read from derived tables: they must first be proven equal to a
        // replay of the ledger (issue 18 §3), or the court would read what an administrator wrote.
        var unreplayable = new List<string>();
        var differences = Custody.Verification.DerivedState.Compare(vault, unreplayable);
        if (differences.Count > 0 || unreplayable.Count > 0)
        {
            throw new VaultException("Nothing was exported: the catalog does not match the ledger, so the manifest could state what no entry says:\n  " +
                string.Join("\n  ", differences.Select(d => d.ToString()).Concat(unreplayable)) + "\nRun custody verify, then custody rebuild-catalog.");
        }

        var role = vault.Policy.ActiveProfile().ExternalReleaseApprover;
        var (request, approval) = ExportApprovals.Approved(vault, options.CaseNumber, options.Clips)
            ?? throw new VaultException($"No approved, unused export request for case {options.CaseNumber}{(options.Clips.Count > 0 ? " and these clips" : string.Empty)}: " +
                $"ask with 'custody export request' and have a holder of '{role.Role}' approve it with 'custody export approve' (R8: {role.Cite}).");
        var asked = PayloadJson.Deserialize<ExportRequestedPayload>(request.Payload);
        var approved = PayloadJson.Deserialize<ExportApprovedPayload>(approval.Payload);
        var clips = asked.Clips.Select(Sha256Digest.ParseHex).ToList();
        var requester = request.Actor.StartsWith("user:", StringComparison.Ordinal) ? request.Actor[5..] : request.Actor;
        var by = options.By ?? requester;
        var reason = options.Reason ?? asked.Reason;

        var directory = Path.GetFullPath(options.Out);
        var zip = directory + ".zip";
        if (Directory.Exists(directory) || File.Exists(directory) || File.Exists(zip))
        {
            throw new VaultException($"{directory} or {zip} already exists; an export never overwrites one.");
        }

        var partial = directory + ".partial";
        if (Directory.Exists(partial))
        {
            Directory.Delete(partial, recursive: true);
        }

        Directory.CreateDirectory(partial);
        Directory.CreateDirectory(Path.Combine(partial, "originals"));
        Directory.CreateDirectory(Path.Combine(partial, "custody"));
        Directory.CreateDirectory(Path.Combine(partial, "sheet"));

        // The originals, byte for byte, checked against their names as they are copied.
        foreach (var clip in clips)
        {
            await CopyObjectAsync(vault, clip, Path.Combine(partial, "originals", clip.ToHex()), cancellationToken).ConfigureAwait(false);
        }

        var subjects = new List<string> { Subjects.Case(options.CaseNumber) };
        subjects.AddRange(clips.Select(Subjects.Clip));
        var documents = new List<ManifestDocument>();
        foreach (var entry in Trail(vault, subjects, long.MaxValue).Where(e => e.Type == EntryTypes.WrittenExplanationAttached))
        {
            if (PayloadJson.Deserialize<WrittenExplanationPayload>(entry.Payload).DocumentSha256 is { } document && documents.All(d => d.Sha256 != document))
            {
                Directory.CreateDirectory(Path.Combine(partial, "documents"));
                var key = Sha256Digest.ParseHex(document);
                var length = await CopyObjectAsync(vault, key, Path.Combine(partial, "documents", document), cancellationToken).ConfigureAwait(false);
                documents.Add(new ManifestDocument { Sha256 = document, Size = length, File = PackageLayout.Document(document), Kind = "written-explanation", LedgerIndex = entry.Index });
            }
        }

        var now = vault.Clock.GetCurrentInstant();
        var context = new ExportContext(Guid.NewGuid().ToString("D"), now, options.CaseNumber, clips, requester, approval.Actor[5..], approved.Role, reason,
            request.Index, approval.Index, documents);
        var manifest = ManifestBuilder.Build(vault, context);
        var manifestBytes = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(manifest, PackageLayout.Json) + "\n");
        var certified = new List<(string Path, byte[] Bytes)>
        {
            (PackageLayout.Manifest, manifestBytes),
            (PackageLayout.Readme, Readme(manifest)),
            (PackageLayout.SheetHtml, ExplanationSheet.Html(manifest)),
            (PackageLayout.SheetPdf, ExplanationSheet.Pdf(manifest, now.ToDateTimeUtc())),
        };
        foreach (var (path, bytes) in certified)
        {
            await WriteAsync(partial, path, bytes, cancellationToken).ConfigureAwait(false);
        }

        // The export is a custody fact: its entry links to the newest entry about the case and each clip.
        var payload = new EvidenceExportedPayload(context.ExportId, options.CaseNumber, [.. manifest.Clips.Select(c => c.Sha256)], request.Index, approval.Index,
            [.. certified.Select(f => new PackageFileDigest(f.Path, Convert.ToHexStringLower(SHA256.HashData(f.Bytes))))]);
        var exported = (await vault.RecordAsync([new NewEntry(EntryTypes.EvidenceExported, Subjects.User(by), subjects, reason,
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(payload, PayloadJson.Options))], cancellationToken).ConfigureAwait(false))[0];
        await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        var (size, note) = vault.Ledger.LatestCheckpointNote() ?? throw new VaultException("The vault signed no checkpoint.");

        // Optional RFC 3161 stamp over the first checkpoint holding the export; the token's hash then
        // goes into the ledger itself (an entry about the case, linked to the export entry), and the
        // package proves against the checkpoint after it.
        LedgerEntry? stampEntry = null;
        (byte[] Token, string Note, IReadOnlyList<Sha256Digest> Consistency)? stamp = null;
        if (options.TimestampAuthority is { } tsa)
        {
            var token = await TimestampClient.StampAsync(tsa, Encoding.UTF8.GetBytes(note), cancellationToken).ConfigureAwait(false);
            var stampPayload = new ExportTimestampedPayload(context.ExportId, size, Convert.ToHexStringLower(SHA256.HashData(token)), tsa.ToString());
            stampEntry = (await vault.RecordAsync([new NewEntry(EntryTypes.ExportTimestamped, Subjects.User(by), [Subjects.Case(options.CaseNumber)], "RFC 3161 time-stamp of the export's checkpoint",
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(stampPayload, PayloadJson.Options))], cancellationToken).ConfigureAwait(false))[0];
            await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            var stampedSize = size;
            var stampedNote = note;
            (size, note) = vault.Ledger.LatestCheckpointNote()!.Value;
            stamp = (token, stampedNote, MerkleProofs.Consistency(vault.Ledger, stampedSize, size));
        }

        // Every entry about the case and its clips up to the export, entry 0 (the key), the stamp's
        // entry if any, and the approver's trail up to the approval (the grant of the role, R8), each with its proof.
        var approverTrail = approved.ApproverTrail is { } head ? Trail(vault, [Subjects.User(approval.Actor[5..])], head.Index) : [];
        var entries = Trail(vault, subjects, exported.Index).Prepend(vault.Ledger.Read(0)).Concat(stampEntry is null ? [] : [stampEntry]).Concat(approverTrail)
            .DistinctBy(e => e.Index).OrderBy(e => e.Index).ToList();
        var lines = new StringBuilder();
        foreach (var entry in entries)
        {
            lines.Append(entry.Index.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Convert.ToHexStringLower(LedgerEntryCodec.Encode(entry)));
            foreach (var hash in vault.Ledger.InclusionProof(entry.Index, size))
            {
                lines.Append(' ').Append(hash.ToHex());
            }

            lines.Append('\n');
        }

        await WriteAsync(partial, PackageLayout.Entries, Encoding.UTF8.GetBytes(lines.ToString()), cancellationToken).ConfigureAwait(false);
        await WriteAsync(partial, PackageLayout.VerifierKey, Encoding.UTF8.GetBytes(vault.Identity.VerifierKey + "\n"), cancellationToken).ConfigureAwait(false);
        var checkpointBytes = Encoding.UTF8.GetBytes(note);
        await WriteAsync(partial, PackageLayout.Checkpoint, checkpointBytes, cancellationToken).ConfigureAwait(false);

        // The witnesses' cosignatures of this checkpoint (docs/trust.md), asked for now rather than on
        // the background round: a court pins the witnesses' keys and needs them in the package.
        var witnesses = vault.Witnesses.Configured().Select(w => w.Key).ToList();
        if (witnesses.Count > 0)
        {
            await vault.Witnesses.OfferAsync(cancellationToken).ConfigureAwait(false);
            var cosignatures = await vault.Witnesses.CosignatureLinesAsync(size, witnesses, cancellationToken).ConfigureAwait(false);
            if (cosignatures.Count > 0)
            {
                await WriteAsync(partial, PackageLayout.Cosignatures, Encoding.UTF8.GetBytes(string.Concat(cosignatures.Select(l => l + "\n"))), cancellationToken).ConfigureAwait(false);
            }
        }

        if (options.SinceCheckpoint is { } since)
        {
            var earlier = await File.ReadAllTextAsync(since, cancellationToken).ConfigureAwait(false);
            var old = Checkpoint.Open(earlier, vault.VerifierKey, out var problem) ?? throw new VaultException($"{since} is not a checkpoint signed by this vault: {problem}.");
            if (old.Size > size || vault.Ledger.Root(old.Size) != old.Root)
            {
                throw new VaultException($"{since} (size {old.Size}) is not a checkpoint of this ledger.");
            }

            var proof = MerkleProofs.Consistency(vault.Ledger, old.Size, size);
            await WriteAsync(partial, PackageLayout.SinceCheckpoint, Encoding.UTF8.GetBytes(earlier), cancellationToken).ConfigureAwait(false);
            await WriteAsync(partial, PackageLayout.Consistency, Encoding.UTF8.GetBytes(string.Concat(proof.Select(h => h.ToHex() + "\n"))), cancellationToken).ConfigureAwait(false);
        }

        if (stamp is { } stamped)
        {
            await WriteAsync(partial, PackageLayout.Timestamp, stamped.Token, cancellationToken).ConfigureAwait(false);
            await WriteAsync(partial, PackageLayout.TimestampedCheckpoint, Encoding.UTF8.GetBytes(stamped.Note), cancellationToken).ConfigureAwait(false);
            await WriteAsync(partial, PackageLayout.TimestampConsistency, Encoding.UTF8.GetBytes(string.Concat(stamped.Consistency.Select(h => h.ToHex() + "\n"))), cancellationToken).ConfigureAwait(false);
        }

        Directory.Move(partial, directory);
        await using (var output = new FileStream(zip, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            StoredZip.Write(output, ZipItems(directory));
            output.Flush(flushToDisk: true);
        }

        string? iso = null;
        if (options.Iso)
        {
            iso = directory + ".iso";
            await DiscImage.WriteAsync(directory, iso, $"EV{manifest.ExportId[..8].ToUpperInvariant()}", cancellationToken).ConfigureAwait(false);
        }

        // What the court will run, run first.
        var report = ExportVerifier.Verify(directory, new VerifyOptions(vault.Identity.VerifierKey));
        if (!report.Ok)
        {
            throw new VaultException($"The written package does not verify:\n{report.ToText()}");
        }

        return new ExportResult(directory, zip, iso, exported.Index, size, payload.Files[0].Sha256, report);
    }

    /// <summary>The files of a package directory as ZIP items, each CRC read once before it is written.</summary>
    public static IReadOnlyList<ZipItem> ZipItems(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(file =>
        {
            uint crc;
            using (var stream = File.OpenRead(file))
            {
                crc = StoredZip.Crc(stream);
            }

            return new ZipItem(Path.GetRelativePath(directory, file).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(file).Length, crc, () => File.OpenRead(file));
        })];

    private static IEnumerable<LedgerEntry> Trail(Vault vault, IEnumerable<string> subjects, long upTo) =>
        subjects.SelectMany(s => vault.Ledger.Entries(s)).Where(e => e.Index <= upTo).DistinctBy(e => e.Index).OrderBy(e => e.Index);

    private static async Task<long> CopyObjectAsync(Vault vault, Sha256Digest key, string path, CancellationToken cancellationToken)
    {
        await using var source = await vault.OpenOriginalAsync(key, cancellationToken).ConfigureAwait(false);
        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            size += read;
        }

        if (new Sha256Digest(hash.GetHashAndReset()) != key)
        {
            throw new VaultException($"The stored object {key} no longer matches its SHA-256: run custody verify --objects; nothing was exported.");
        }

        target.Flush(flushToDisk: true);
        return size;
    }

    private static async Task WriteAsync(string root, string path, byte[] bytes, CancellationToken cancellationToken)
    {
        var full = Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await File.WriteAllBytesAsync(full, bytes, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Readme(ExportManifest manifest) => Encoding.UTF8.GetBytes($"""
        EvidenceVault 证据导出包 / certified export package
        导出编号 / export id: {manifest.ExportId}
        案件 / case: {manifest.Case.Number}
        制作时间 / made at: {manifest.ExportedAtLocal} ({manifest.ExportedAt})
        公钥指纹 / key fingerprint (SHA-256): {manifest.KeyFingerprint}

        本包可离线校验：custody verify-export <本目录或 ZIP> --key '{manifest.VerifierKey}'
        Verify offline: custody verify-export <this directory or ZIP> --key '{manifest.VerifierKey}'

        manifest.json            清单 / what was exported, with every fact about each clip
        originals/<sha256>       原始文件 / the originals, byte-identical, named by SHA-256
        documents/<sha256>       书面说明 / signed written explanations
        sheet/explanation.*      说明 / the explanation sheet (HTML, PDF)
        custody/entries.txt      保管记录与包含性证明 / custody entries with inclusion proofs
        custody/checkpoint.txt   签名检查点 / the signed checkpoint
        custody/cosignatures.txt 见证签名 / independent witnesses' cosignatures of it, when the vault has witnesses
                                 (verify with --witness-key WITNESS-KEY, as obtained from the witness itself)
        custody/verifier-key.txt 公钥 / the agency's verifier key
        Format: docs/export-format.md

        """.Replace("\r\n", "\n", StringComparison.Ordinal));
}

/// <summary>The ISO 9660 image (with Joliet and Rock Ridge) for burning to disc (光盘), made by xorriso.</summary>
internal static class DiscImage
{
    public static async Task WriteAsync(string directory, string iso, string volumeId, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("xorriso") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-as", "mkisofs", "-quiet", "-J", "-R", "-V", volumeId, "-o", iso, directory })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new VaultException("xorriso did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new VaultException($"--iso needs xorriso (Debian package xorriso): {e.Message}");
        }

        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                throw new VaultException($"xorriso could not write {iso}: {(await errors.ConfigureAwait(false)).Trim()}");
            }
        }
    }
}
