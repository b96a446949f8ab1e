using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EvidenceVault.Custody.Verifier;

/// <param name="PinnedVerifierKey">The agency's verifier key as the court received it separately; the package's must equal it.</param>
/// <param name="PinnedTsaCertificateSha256">SHA-256 of the TSA root certificate the court trusts.</param>
/// <param name="WitnessKeys">Cosigner keys of witnesses the court trusts (tlog-cosignature v1, Ed25519).</param>
/// <param name="WitnessQuorum">How many of them must have cosigned the package's checkpoint; default all.</param>
public sealed record VerifyOptions(string? PinnedVerifierKey = null, string? PinnedTsaCertificateSha256 = null, IReadOnlyList<string>? WitnessKeys = null, int? WitnessQuorum = null);

/// <summary>
/// Verifies an export package with nothing but the package: the steps of docs/export-format.md §5,
/// in order. Never throws for a bad package; every problem is a failed check in the report.
/// </summary>
public static class ExportVerifier
{
    public static VerificationReport Verify(string path, VerifyOptions? options = null)
    {
        var report = new VerificationReport(path);
        try
        {
            using var package = Package.Load(path);
            Run(package, options ?? new VerifyOptions(), report);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or JsonException or UnauthorizedAccessException or CryptographicException or KeyNotFoundException or OverflowException)
        {
            report.Fail("软件包可读", "package readable", e.Message);
        }

        return report;
    }

    private static void Run(Package package, VerifyOptions options, VerificationReport report)
    {
        if (package.CanonicalProblem is { } zipProblem)
        {
            report.Fail("压缩包为规范形式", "ZIP in canonical form", zipProblem);
            return;
        }

        // 1. The agency's key, pinned by the court where it has one.
        var keyText = Text(package, PackageLayout.VerifierKey);
        if (!keyText.EndsWith('\n') || keyText.IndexOf('\n') != keyText.Length - 1)
        {
            report.Fail("公钥文件", "verifier key file", "must be one line ending in a newline");
            return;
        }

        var key = VerifierKey.Parse(keyText[..^1]);
        report.KeyFingerprint = key.Fingerprint;
        report.KeyPinned = options.PinnedVerifierKey is not null && options.PinnedVerifierKey == key.Text;
        if (!report.Expect(options.PinnedVerifierKey is null || options.PinnedVerifierKey == key.Text, "公钥与法院持有的一致", "verifier key matches the pinned key",
                options.PinnedVerifierKey is null ? "not pinned: compare the fingerprint with the agency's published key" : "equal", "the package's key is not the key the court holds"))
        {
            return;
        }

        // 2. The signed checkpoint.
        var checkpointBytes = package.ReadAll(PackageLayout.Checkpoint);
        var checkpoint = CheckpointNote.Open(Utf8(checkpointBytes, PackageLayout.Checkpoint), key, out var checkpointProblem);
        if (!report.Expect(checkpoint is not null, "检查点签名", "checkpoint signature", $"tree size {checkpoint?.Size}, signed by {key.Name}", checkpointProblem) || checkpoint is null)
        {
            return;
        }

        report.TreeSize = checkpoint.Size;

        // 3. Every entry, decoded strictly and proven into the checkpoint's tree.
        var entries = ReadEntries(package, checkpoint, report);
        if (entries is null)
        {
            return;
        }

        report.Entries = entries.Count;

        // 4. Entry 0 names the key that signs the ledger.
        if (!report.Expect(entries.TryGetValue(0, out var genesis) && genesis.Entry.Type == "VaultCreated" && Property(genesis.Entry, "verifierKey") == key.Text,
                "账本首条记录载明该公钥", "ledger entry 0 names this key", key.Name, "entry 0 (VaultCreated) is missing or names another key"))
        {
            return;
        }

        // 5. The export entry certifies the manifest and the other files no other part certifies.
        var manifestBytes = package.ReadAll(PackageLayout.Manifest);
        var manifest = JsonSerializer.Deserialize<ExportManifest>(manifestBytes, PackageLayout.Json) ?? throw new FormatException("manifest.json is empty");
        var exports = entries.Values.Where(e => e.Entry.Type == PackageLayout.ExportEntryType && Property(e.Entry, "exportId") == manifest.ExportId).ToList();
        if (!report.Expect(exports.Count == 1, "导出记录", "export entry", $"#{(exports.Count == 1 ? exports[0].Entry.Index : -1)}", $"{exports.Count} export entries for export {manifest.ExportId}"))
        {
            return;
        }

        // Every key and fingerprint the package states is the one its checkpoint opened with: a sheet or a
        // manifest showing the genuine agency's fingerprint over a package signed by another key is a forgery.
        var sheet = Text(package, PackageLayout.SheetHtml);
        var readme = Text(package, PackageLayout.Readme);
        if (!report.Expect(manifest.VerifierKey == key.Text && manifest.KeyFingerprint == key.Fingerprint &&
                sheet.Contains(key.Fingerprint, StringComparison.Ordinal) && !OtherFingerprints(sheet, key.Fingerprint) &&
                readme.Contains(key.Fingerprint, StringComparison.Ordinal) && !OtherFingerprints(readme, key.Fingerprint),
                "清单与说明所载公钥一致", "manifest and sheet state the key that signed", key.Fingerprint,
                $"manifest.json, the explanation sheet or README.txt states another key than {PackageLayout.VerifierKey} (manifest fingerprint {manifest.KeyFingerprint})"))
        {
            return;
        }

        var export = exports[0].Entry;
        var payload = JsonSerializer.Deserialize<EvidenceExportedPayload>(export.Payload, PackageLayout.Json) ?? throw new FormatException("empty export payload");
        report.CaseNumber = payload.CaseNumber;
        report.Clips = payload.Clips.Count;
        var certified = new List<string>();
        foreach (var file in payload.Files)
        {
            if (!package.Has(file.Path) || Convert.ToHexStringLower(package.Sha256(file.Path)) != file.Sha256)
            {
                report.Fail("文件校验值", "file integrity value", $"{file.Path} is missing or its SHA-256 is not {file.Sha256}");
                return;
            }

            certified.Add(file.Path);
        }

        if (!report.Expect(certified.Contains(PackageLayout.Manifest) && certified.Contains(PackageLayout.Readme) && certified.Contains(PackageLayout.SheetHtml),
                "清单、说明与自述文件的校验值", "manifest, sheet and README integrity", string.Join(", ", certified), "the export entry does not certify manifest.json, README.txt and the explanation sheet"))
        {
            return;
        }

        // 6. What the manifest says is what the ledger says.
        var clipSubjects = payload.Clips.Select(c => "clip:" + c).ToList();
        var expectedSubjects = clipSubjects.Prepend("case:" + payload.CaseNumber).ToHashSet(StringComparer.Ordinal);
        if (!report.Expect(
                manifest.Case.Number == payload.CaseNumber && manifest.Clips.Select(c => c.Sha256).SequenceEqual(payload.Clips) &&
                manifest.RequestIndex == payload.RequestIndex && manifest.ApprovalIndex == payload.ApprovalIndex &&
                export.Subjects.Count == expectedSubjects.Count && export.Subjects.All(s => expectedSubjects.Contains(s.Subject)),
                "清单与导出记录一致", "manifest agrees with the export entry", $"case {payload.CaseNumber}, {payload.Clips.Count} clips", "case, clips or approval differ between manifest.json and the ledger"))
        {
            return;
        }

        // 7. Completeness: from the export entry back to the first entry about each subject, no gap.
        var reachable = new HashSet<long> { 0, export.Index };
        foreach (var link in export.Subjects)
        {
            if (!FollowChain(link, entries, reachable, out var chainProblem))
            {
                report.Fail("记录完整性", "completeness", chainProblem);
                return;
            }
        }

        // The stamp's entry, when the ledger says the export was stamped: linked to the export entry.
        var stampEntries = entries.Values.Where(e => e.Entry.Type == PackageLayout.TimestampEntryType && Property(e.Entry, "exportId") == manifest.ExportId).ToList();
        if (stampEntries.Count > 1 || (stampEntries.Count == 1 && !(stampEntries[0].Entry.Subjects.Count == 1 &&
            stampEntries[0].Entry.LinkFor("case:" + payload.CaseNumber) is { PreviousIndex: { } linked } stampLink && linked == export.Index && stampLink.PreviousLeafHash.AsSpan().SequenceEqual(exports[0].LeafHash))))
        {
            report.Fail("时间戳记录", "time-stamp entry", "the time-stamp entry does not follow the export entry");
            return;
        }

        reachable.UnionWith(stampEntries.Select(e => e.Entry.Index));

        // The approver's trail (their account and role facts), from the head the approval names back to its first entry.
        var approverSubject = "user:" + manifest.ApprovedBy;
        var approverTrail = entries.TryGetValue(payload.ApprovalIndex, out var approvalEntry) ? ApproverTrail(approvalEntry.Entry) : null;
        if (approverTrail is { } trailHead && !FollowChain(new EntryLink(approverSubject, trailHead.Index, trailHead.LeafHash), entries, reachable, out var trailProblem))
        {
            report.Fail("记录完整性", "completeness", trailProblem);
            return;
        }

        var strays = entries.Keys.Where(i => !reachable.Contains(i)).ToList();
        if (!report.Expect(strays.Count == 0, "记录完整性（每个案件与文件的全部记录，按前后链接）", "completeness (every entry about the case and each clip, chained)",
                $"{reachable.Count} entries, chains for {export.Subjects.Count} subjects", $"entries {string.Join(", ", strays)} are not about the exported case or clips"))
        {
            return;
        }

        // 8. The request and its approval by another person (R8), who held the approver role when approving.
        if (!CheckApproval(entries, payload, manifest, report) || !CheckApproverRole(entries, approverSubject, approverTrail, payload, manifest, report))
        {
            return;
        }

        // 9. The originals, byte for byte, against the ingest entries.
        foreach (var clip in manifest.Clips)
        {
            var ingests = entries.Values.Where(e => e.Entry.Type == "ClipIngested" && Property(e.Entry, "sha256") == clip.Sha256 && e.Entry.LinkFor("clip:" + clip.Sha256) is not null).ToList();
            var file = PackageLayout.Original(clip.Sha256);
            if (!package.Has(file) || clip.File != file)
            {
                report.Fail("原始文件", "original", $"{file} is missing");
                return;
            }

            var sha = Convert.ToHexStringLower(package.Sha256(file));
            if (sha != clip.Sha256 || package.Length(file) != clip.Size || ingests.Count == 0 ||
                ingests.Any(e => Property(e.Entry, "size") != clip.Size.ToString(CultureInfo.InvariantCulture)) || ingests.All(e => e.Entry.Index != clip.IngestIndex))
            {
                report.Fail("原始文件校验值", "original's integrity value", $"{file}: SHA-256 {sha}, {package.Length(file)} bytes; the ledger's ingest says {clip.Sha256}, {clip.Size} bytes");
                return;
            }
        }

        report.Pass("原始文件校验值（SHA-256）", "originals' integrity values (SHA-256)", $"{manifest.Clips.Count} originals, {manifest.Clips.Sum(c => c.Size)} bytes, identical to what was ingested");

        // 10. Documents (signed written explanations), each named by a ledger entry.
        var referenced = entries.Values.Where(e => e.Entry.Type == "WrittenExplanationAttached").Select(e => Property(e.Entry, "documentSha256")).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var documents = package.Paths.Where(p => p.StartsWith(PackageLayout.DocumentsFolder, StringComparison.Ordinal)).ToList();
        foreach (var document in documents)
        {
            var name = document[PackageLayout.DocumentsFolder.Length..];
            if (!referenced.Contains(name) || Convert.ToHexStringLower(package.Sha256(document)) != name)
            {
                report.Fail("书面说明文件", "written explanation documents", $"{document} is not named by its SHA-256 or by any exported entry");
                return;
            }
        }

        if (!report.Expect(referenced.All(r => package.Has(PackageLayout.Document(r))), "书面说明文件", "written explanation documents", $"{documents.Count} documents",
                "an exported written explanation names a document the package does not hold"))
        {
            return;
        }

        // 11. Nothing else in the package.
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            PackageLayout.VerifierKey, PackageLayout.Checkpoint, PackageLayout.Entries, PackageLayout.SinceCheckpoint, PackageLayout.Consistency, PackageLayout.Cosignatures,
        };
        if (stampEntries.Count == 1)
        {
            known.UnionWith([PackageLayout.Timestamp, PackageLayout.TimestampedCheckpoint, PackageLayout.TimestampConsistency]);
        }

        known.UnionWith(certified);
        known.UnionWith(documents);
        known.UnionWith(manifest.Clips.Select(c => c.File));
        var unknown = package.Paths.Where(p => !known.Contains(p)).ToList();
        if (!report.Expect(unknown.Count == 0, "无多余文件", "no unaccounted files", $"{package.Paths.Count} files", "not accounted for: " + string.Join(", ", unknown)))
        {
            return;
        }

        // 12. Optional: consistency with a checkpoint the court already holds.
        if (package.Has(PackageLayout.SinceCheckpoint) || package.Has(PackageLayout.Consistency))
        {
            var old = CheckpointNote.Open(Text(package, PackageLayout.SinceCheckpoint), key, out var oldProblem);
            var path = old is null ? null : ReadHashLines(Text(package, PackageLayout.Consistency));
            if (!report.Expect(old is not null && path is not null && Rfc9162.VerifyConsistency(old.Size, checkpoint.Size, old.Root, checkpoint.Root, path),
                    "与先前检查点一致（账本只增未改）", "consistent with the earlier checkpoint (append-only)", $"size {old?.Size} -> {checkpoint.Size}",
                    old is null ? "earlier checkpoint: " + oldProblem : "the consistency proof does not verify"))
            {
                return;
            }
        }

        // 13. Optional: an RFC 3161 time-stamp over the checkpoint that first held the export. The
        // ledger vouches for the token's bytes; the stamped checkpoint is a prefix of the signed one.
        if (stampEntries.Count == 1)
        {
            var stamp = JsonSerializer.Deserialize<ExportTimestampedPayload>(stampEntries[0].Entry.Payload, PackageLayout.Json) ?? throw new FormatException("empty time-stamp payload");
            var token = package.ReadAll(PackageLayout.Timestamp);
            var stampedBytes = package.ReadAll(PackageLayout.TimestampedCheckpoint);
            var stamped = CheckpointNote.Open(Utf8(stampedBytes, PackageLayout.TimestampedCheckpoint), key, out var stampedProblem);
            var stampedPath = ReadHashLines(Text(package, PackageLayout.TimestampConsistency));
            if (!report.Expect(Convert.ToHexStringLower(SHA256.HashData(token)) == stamp.TokenSha256 && stamped is not null && stamped.Size == stamp.CheckpointSize &&
                    stamped.Size > export.Index && stampedPath is not null && Rfc9162.VerifyConsistency(stamped.Size, checkpoint.Size, stamped.Root, checkpoint.Root, stampedPath),
                    "时间戳所盖检查点", "the stamped checkpoint", $"size {stamped?.Size}, token SHA-256 as ledgered",
                    stamped is null ? "stamped checkpoint: " + stampedProblem : "the token or the stamped checkpoint is not the one the ledger names"))
            {
                return;
            }

            var facts = TimestampCheck.Verify(token, stampedBytes, options.PinnedTsaCertificateSha256, out var stampProblem);
            report.Timestamp = facts;
            report.Expect(facts is not null, "可信时间戳", "RFC 3161 time-stamp", facts is null ? string.Empty : $"{facts.Time:yyyy-MM-dd'T'HH:mm:ss'Z'}, {facts.Authority}, root {facts.CertificateSha256}", stampProblem);
        }
        else if (package.Has(PackageLayout.Timestamp))
        {
            report.Fail("可信时间戳", "RFC 3161 time-stamp", "a token is present but no ledger entry names it");
        }

        // 14. Witnesses outside the agency: with their keys pinned, enough of them cosigned this very
        // checkpoint, so the agency cannot have shown the court a tree it rolled back or forked.
        WitnessQuorum(package, checkpoint, options, report);
    }

    private static void WitnessQuorum(Package package, CheckpointNote checkpoint, VerifyOptions options, VerificationReport report)
    {
        var lines = package.Has(PackageLayout.Cosignatures) ? Text(package, PackageLayout.Cosignatures).Split('\n') : [];
        if (lines.Length > 0 && (lines[^1].Length != 0 || lines[..^1].Any(l => !l.StartsWith("\u2014 ", StringComparison.Ordinal))))
        {
            report.Fail("见证签名文件", "cosignatures file", $"{PackageLayout.Cosignatures} is not note signature lines, each ending in a newline");
            return;
        }

        var keys = (options.WitnessKeys ?? []).Select(CosignerKey.Parse).DistinctBy(k => k.Text).ToList();
        var body = string.Join('\n', checkpoint.Text.Split('\n')[..3]) + "\n";
        var cosigned = new List<string>();
        var missing = new List<string>();
        foreach (var key in keys)
        {
            if (key.Verify(body, lines, out var problem) is { } time)
            {
                cosigned.Add($"{key.Name} at {DateTimeOffset.FromUnixTimeSeconds(time):yyyy-MM-dd'T'HH:mm:ss'Z'}");
            }
            else
            {
                missing.Add(problem);
            }
        }

        report.WitnessesCosigned = cosigned.Count;
        if (keys.Count == 0)
        {
            return;
        }

        var quorum = options.WitnessQuorum ?? keys.Count;
        report.Expect(cosigned.Count >= quorum, "独立见证方联署（检查点未被回滚或分叉）", "cosigned by independent witnesses (no rollback, no fork)",
            $"{cosigned.Count} of {keys.Count} pinned witnesses (quorum {quorum}): {string.Join("; ", cosigned)}",
            $"{cosigned.Count} of {keys.Count} pinned witnesses cosigned this checkpoint, quorum {quorum}: {string.Join("; ", missing)}");
    }

    private sealed record ProvenEntry(ExportedEntry Entry, byte[] LeafHash);

    /// <summary>custody/entries.txt: one line per entry, "index entry-hex path-hash...", ascending, lower-case hex, single spaces.</summary>
    private static Dictionary<long, ProvenEntry>? ReadEntries(Package package, CheckpointNote checkpoint, VerificationReport report)
    {
        var text = Text(package, PackageLayout.Entries);
        var entries = new Dictionary<long, ProvenEntry>();
        if (!text.EndsWith('\n'))
        {
            report.Fail("记录文件格式", "entries file format", "entries.txt does not end with a newline");
            return null;
        }

        long previous = -1;
        var lineNumber = 0;
        foreach (var line in text[..^1].Split('\n'))
        {
            lineNumber++;
            var fields = line.Split(' ');
            if (fields.Length < 2 || !long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index) ||
                index.ToString(CultureInfo.InvariantCulture) != fields[0] || index <= previous || fields[1].Length % 2 != 0 || !VerifierKey.IsLowerHex(fields[1]))
            {
                report.Fail("记录文件格式", "entries file format", $"line {lineNumber} is not 'index entry-hex path...' in ascending order");
                return null;
            }

            previous = index;
            var bytes = Convert.FromHexString(fields[1]);
            var path = ReadHashes(fields.AsSpan(2));
            ExportedEntry entry;
            try
            {
                entry = EntryReader.Decode(bytes);
            }
            catch (FormatException e)
            {
                report.Fail("记录编码", "entry encoding", $"entry {index}: {e.Message}");
                return null;
            }

            var leaf = Rfc9162.LeafHash(bytes);
            if (entry.Index != index || path is null || !Rfc9162.VerifyInclusion(leaf, index, checkpoint.Size, path, checkpoint.Root))
            {
                report.Fail("包含性证明", "inclusion proofs", $"entry {index} is not proven into the signed tree of size {checkpoint.Size}");
                return null;
            }

            entries[index] = new ProvenEntry(entry, leaf);
        }

        report.Pass("每条记录均在签名账本中（包含性证明）", "every entry is in the signed ledger (inclusion proofs)", $"{entries.Count} entries");
        return entries;
    }

    private static bool FollowChain(EntryLink head, Dictionary<long, ProvenEntry> entries, HashSet<long> reachable, out string problem)
    {
        var link = head;
        while (link.PreviousIndex is { } previous)
        {
            if (!entries.TryGetValue(previous, out var target))
            {
                problem = $"entry {previous} about {head.Subject} is left out";
                return false;
            }

            if (!target.LeafHash.AsSpan().SequenceEqual(link.PreviousLeafHash) || target.Entry.LinkFor(head.Subject) is not { } next)
            {
                problem = $"entry {previous} is not the entry about {head.Subject} that the next one links to";
                return false;
            }

            reachable.Add(previous);
            link = next;
        }

        problem = string.Empty;
        return true;
    }

    private static bool CheckApproval(Dictionary<long, ProvenEntry> entries, EvidenceExportedPayload payload, ExportManifest manifest, VerificationReport report)
    {
        var ok = entries.TryGetValue(payload.RequestIndex, out var request) && request.Entry.Type == "ExportRequested" &&
            entries.TryGetValue(payload.ApprovalIndex, out var approval) && approval.Entry.Type == "ExportApproved" &&
            Property(approval.Entry, "requestIndex") == payload.RequestIndex.ToString(CultureInfo.InvariantCulture) &&
            approval.Entry.Actor != request.Entry.Actor && request.Entry.Actor == "user:" + manifest.RequestedBy && approval.Entry.Actor == "user:" + manifest.ApprovedBy;
        return report.Expect(ok, "经请求人以外的审批人批准（R8）", "approved by someone other than the requester (R8)",
            $"requested by {manifest.RequestedBy} (#{payload.RequestIndex}), approved by {manifest.ApprovedBy} as {manifest.ApproverRole} (#{payload.ApprovalIndex})",
            "the request or approval entry is missing, or the requester approved it");
    }

    /// <summary>
    /// R8, checked by the court itself (issue 18 §7): among the approver's trail up to the head the
    /// approval names, a RoleGranted of the role the approval states, and no RoleRevoked of it after.
    /// </summary>
    private static bool CheckApproverRole(Dictionary<long, ProvenEntry> entries, string subject, (long Index, byte[] LeafHash)? head, EvidenceExportedPayload payload, ExportManifest manifest, VerificationReport report)
    {
        const string Zh = "批准人批准时持有批准角色（R8）";
        const string En = "the approver held the approving role when approving (R8)";
        if (head is not { } trail)
        {
            report.Fail(Zh, En, "the approval names no trail of its approver, so the approver's role cannot be checked");
            return false;
        }

        var approval = entries[payload.ApprovalIndex].Entry;
        var role = Property(approval, "role");
        var facts = entries.Values.Where(e => e.Entry.Index <= trail.Index && e.Entry.LinkFor(subject) is not null).OrderBy(e => e.Entry.Index).ToList();
        long? grantedAt = null;
        foreach (var fact in facts)
        {
            var sameRole = Property(fact.Entry, "user") == manifest.ApprovedBy && Property(fact.Entry, "role") == role;
            if (fact.Entry.Type == "RoleGranted" && sameRole)
            {
                grantedAt = fact.Entry.Index;
            }
            else if (fact.Entry.Type == "RoleRevoked" && sameRole)
            {
                grantedAt = null;
            }
        }

        return report.Expect(trail.Index < approval.Index && role == manifest.ApproverRole && grantedAt is not null, Zh, En,
            $"{manifest.ApprovedBy} was granted '{role}' by entry #{grantedAt}, not withdrawn before approving (#{approval.Index}); {facts.Count} entries about {subject}",
            $"no entry of {manifest.ApprovedBy}'s trail (up to #{trail.Index}) grants the role '{role}' the approval states, or it was withdrawn");
    }

    private static (long Index, byte[] LeafHash)? ApproverTrail(ExportedEntry approval)
    {
        try
        {
            using var document = JsonDocument.Parse(approval.Payload);
            return document.RootElement.TryGetProperty("approverTrail", out var head) && head.ValueKind == JsonValueKind.Object &&
                head.TryGetProperty("index", out var index) && index.TryGetInt64(out var at) &&
                head.TryGetProperty("leafHash", out var leaf) && leaf.GetString() is { Length: 2 * Rfc9162.HashLength } hex && VerifierKey.IsLowerHex(hex)
                ? (at, Convert.FromHexString(hex))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<byte[]>? ReadHashes(ReadOnlySpan<string> fields)
    {
        var hashes = new List<byte[]>(fields.Length);
        foreach (var field in fields)
        {
            if (field.Length != 2 * Rfc9162.HashLength || !VerifierKey.IsLowerHex(field))
            {
                return null;
            }

            hashes.Add(Convert.FromHexString(field));
        }

        return hashes;
    }

    private static List<byte[]>? ReadHashLines(string text) =>
        text.Length == 0 ? [] : text.EndsWith('\n') ? ReadHashes(text[..^1].Split('\n')) : null;

    private static string? Property(ExportedEntry entry, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(entry.Payload);
            return document.RootElement.TryGetProperty(name, out var value)
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(Package package, string path) => Utf8(package.ReadAll(path), path);

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static string Utf8(byte[] bytes, string path)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{path} is not UTF-8 text.", e);
        }
    }

    /// <summary>True when the sheet shows a 64-hex-digit fingerprint other than the signing key's next to its fingerprint label.</summary>
    private static bool OtherFingerprints(string sheet, string fingerprint) =>
        System.Text.RegularExpressions.Regex.Matches(sheet, "(?:指纹|fingerprint)[^\\n]{0,80}?(?<![0-9a-f])([0-9a-f]{64})(?![0-9a-f])").Any(m => m.Groups[1].Value != fingerprint);
}
