using System.Security.Cryptography;
using EvidenceVault.Custody.Checkpoints;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Storage;
using EvidenceVault.Custody.Merkle;

namespace EvidenceVault.Custody.Verification;

/// <summary>What <see cref="VaultVerifier"/> found. <see cref="Problems"/> is empty only when everything holds.</summary>
public sealed record VerificationReport(
    long Entries,
    int Checkpoints,
    int PublishedCheckpoints,
    long ObjectsChecked,
    long EntriesAfterLastCheckpoint,
    string? VerifierKey,
    IReadOnlyList<string> Problems,
    IReadOnlyList<Sha256Digest>? UnclaimedObjects = null)
{
    /// <summary>
    /// With objects: what the store holds that no ledger entry names (an upload a dock never registered,
    /// bytes put there behind the vault's back). Not custody, and not broken custody: a finding for the clerk.
    /// </summary>
    public IReadOnlyList<Sha256Digest> Unclaimed => UnclaimedObjects ?? [];

    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a vault end to end without trusting anything derived: every leaf is recomputed from the
/// stored entry, the tree is rebuilt in memory and compared with the stored nodes, every
/// checkpoint's signature and root is checked, consecutive checkpoints must be consistent, and the
/// catalog must match what was published to the object store. With objects, every stored original
/// is re-hashed against its key, and every derived table must equal a replay of the ledger
/// (<see cref="DerivedState"/>). Problems name the first broken entry, checkpoint, object or table.
/// </summary>
public static class VaultVerifier
{
    private const int MaxProblems = 50;

    public static async Task<VerificationReport> VerifyAsync(Vault vault, bool rehashObjects, NoteVerifierKey? pinnedKey = null, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        void Problem(string text)
        {
            if (problems.Count < MaxProblems)
            {
                problems.Add(text);
            }
        }

        // 0. On a deployment node: the central ledger as far as this replica could take it.
        vault.Sync();
        if (vault.LedgerProblem is { } central)
        {
            Problem(central);
        }

        // The derived-state replay (step 6) runs beside the entry pass from the start: it reads on its
        // own connection into its own in-memory catalog (1,000,000 entries: 4.8 s in sequence; docs/benchmarks.md).
        var derivedTask = Task.Run(() =>
        {
            var unreplayable = new List<string>();
            return (Differences: DerivedState.Compare(vault, unreplayable), Unreplayable: unreplayable);
        }, cancellationToken);

        // The stored tree and subject index are read on a second connection while this thread
        // recomputes every leaf: the two passes share nothing until they are compared.
        using var side = vault.OpenSecondReader();
        var storedTask = Task.Run(() => (Nodes: ReadStoredNodes(side), Subjects: side.SubjectIndexSummary()), cancellationToken);

        var tree = new MerkleTree();
        var subjects = new Dictionary<string, SubjectState>(StringComparer.Ordinal);
        var clips = new Dictionary<Sha256Digest, long>();
        var documents = new HashSet<Sha256Digest>();
        var unclaimed = new List<Sha256Digest>();
        // The S3 versions the server verified at ingest, from the entries (issue 18 §10).
        var versions = new Dictionary<Sha256Digest, HashSet<string>>();
        NoteVerifierKey? key = null;
        string? sealScheme = null;

        // 1. Every entry: contiguous, canonical, its columns true to its bytes, its subject links exact.
        vault.Ledger.ScanEntries(row =>
        {
            var index = tree.Size;
            if (row.Malformed is { } malformed)
            {
                Problem($"ledger entry {(row.Index >= 0 ? row.Index : index)} is not a stored entry: {malformed}");
                return false;
            }

            if (row.Index != index)
            {
                Problem($"ledger entry {index} is missing (next stored entry is {row.Index})");
                return false;
            }

            LedgerEntry entry;
            try
            {
                entry = LedgerEntryCodec.Decode(row.Entry);
            }
            catch (FormatException e)
            {
                Problem($"ledger entry {index} is not a valid entry: {e.Message}");
                return false;
            }

            // The decoder is strict (exact lengths, strict UTF-8, flags 0/1, no trailing bytes), so bytes
            // that decode are the canonical encoding of what they decode to; no re-encoding needed.
            if (entry.Index != index || (entry.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds() != row.TimeNanoseconds || entry.Type != row.Type || entry.Actor != row.Actor)
            {
                Problem($"ledger entry {index}: the index, time, type or actor columns do not match the entry's hashed bytes");
            }

            var leaf = MerkleHash.Leaf(row.Entry);
            foreach (var link in entry.Subjects)
            {
                subjects.TryGetValue(link.Subject, out var state);
                var expectedPrevious = state.Count == 0 ? ((long?)null, (Sha256Digest?)null) : (state.HeadIndex, state.HeadLeaf);
                if (link.PreviousIndex != expectedPrevious.Item1)
                {
                    Problem($"ledger entry {index} links to entry {link.PreviousIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} as the previous entry about {link.Subject}, but the ledger's is {expectedPrevious.Item1?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}: an entry about it was removed or inserted");
                }
                else if (link.PreviousLeafHash != expectedPrevious.Item2)
                {
                    Problem($"ledger entry {link.PreviousIndex} was changed: entry {index} (about {link.Subject}) recorded a different hash for it");
                }

                subjects[link.Subject] = state.With(index, leaf);
            }

            if (index == 0)
            {
                key = ReadIdentity(entry, pinnedKey, Problem);
                sealScheme = SealScheme(entry);
            }
            else if (entry.Type == EntryTypes.WrittenExplanationAttached)
            {
                try
                {
                    if (PayloadJson.Deserialize<WrittenExplanationPayload>(entry.Payload).DocumentSha256 is { } document)
                    {
                        documents.Add(Sha256Digest.ParseHex(document));
                    }
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
                {
                    Problem($"ledger entry {index}: WrittenExplanationAttached payload is unreadable: {e.Message}");
                }
            }
            else if (entry.Type == EntryTypes.ClipIngested)
            {
                try
                {
                    var clip = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
                    var digest = Sha256Digest.ParseHex(clip.Sha256);
                    clips[digest] = clip.Size;
                    if (clip.StoreVersion is { } version)
                    {
                        if (!versions.TryGetValue(digest, out var recorded))
                        {
                            versions[digest] = recorded = new HashSet<string>(StringComparer.Ordinal);
                        }

                        recorded.Add(version);
                    }
                }
                catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
                {
                    Problem($"ledger entry {index}: ClipIngested payload is unreadable: {e.Message}");
                }
            }

            tree.Append(leaf);
            return true;
        });

        // 2. The subject index (used by custody log --subject) must list exactly the entries that name each subject.
        var storedTree = await storedTask.ConfigureAwait(false);
        foreach (var (subject, count, fingerprint) in storedTree.Subjects)
        {
            if (!subjects.TryGetValue(subject, out var state) || state.Count != count || state.IndexFingerprint != fingerprint)
            {
                Problem($"the subject index for {subject} does not match the entries that name it");
            }

            subjects.Remove(subject);
        }

        foreach (var missing in subjects.Keys.Take(3))
        {
            Problem($"the subject index has no rows for {missing}");
        }

        // 3. The stored tree (which proofs are built from) must equal the tree rebuilt from the entries.
        if (storedTree.Nodes.Problem is { } nodeProblem)
        {
            Problem(nodeProblem);
        }

        for (var level = 0; level < Math.Max(tree.Levels, storedTree.Nodes.Levels.Count); level++)
        {
            var storedLevel = level < storedTree.Nodes.Levels.Count ? storedTree.Nodes.Levels[level] : [];
            var expected = tree.NodesAtLevel(level);
            var mismatch = -1;
            for (var i = 0; i < Math.Min(expected, storedLevel.Count); i++)
            {
                if (storedLevel[i] != tree.PerfectNode(level, i))
                {
                    mismatch = i;
                    break;
                }
            }

            if (mismatch >= 0)
            {
                Problem($"Merkle node ({level}, {mismatch}) does not match the entries (first affected entry: {(long)mismatch << level})");
                break;
            }

            if (storedLevel.Count != expected)
            {
                Problem($"the stored tree has {storedLevel.Count} nodes at level {level}; the entries produce {expected}");
                break;
            }
        }

        // 4. Checkpoints: signed by the vault's key, roots equal to the rebuilt tree, consecutive ones consistent,
        //    and the catalog's rows equal to what was published.
        var rows = vault.Ledger.CheckpointNotes();
        var published = await vault.Objects.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        Checkpoint? previous = null;
        foreach (var (size, note) in rows)
        {
            var checkpoint = CheckCheckpoint($"checkpoint {size}", size, note, key, tree, Problem);
            if (checkpoint is null)
            {
                continue;
            }

            if (previous is not null && checkpoint.Size <= tree.Size)
            {
                var proof = MerkleProofs.Consistency(tree, previous.Size, checkpoint.Size);
                if (!MerkleProofs.VerifyConsistency(previous.Size, checkpoint.Size, previous.Root, checkpoint.Root, proof))
                {
                    Problem($"checkpoint {checkpoint.Size} is not consistent with checkpoint {previous.Size}");
                }
            }

            previous = checkpoint;
            var file = await vault.Objects.ReadCheckpointAsync(size, cancellationToken).ConfigureAwait(false);
            if (file is null)
            {
                Problem($"checkpoint {size} was never published or its published file was deleted from the object store");
            }
            else if (file != note)
            {
                Problem($"checkpoint {size} in the catalog differs from the published checkpoint file");
            }
        }

        var rowSizes = rows.Select(r => r.Size).ToHashSet();
        foreach (var size in published.Where(s => !rowSizes.Contains(s)))
        {
            var note = await vault.Objects.ReadCheckpointAsync(size, cancellationToken).ConfigureAwait(false) ?? string.Empty;
            CheckCheckpoint($"published checkpoint {size}", size, note, key, tree, Problem);
            Problem($"published checkpoint {size} has no row in the catalog: checkpoint rows were removed" +
                (size > tree.Size ? $", and the ledger holds only {tree.Size} of its {size} entries" : string.Empty));
        }

        if (rows.Count == 0)
        {
            Problem("the catalog holds no checkpoint");
        }

        // 4a. Entry seals (issue 18 §5): every entry authenticated by the node that wrote it, with the
        // vault's key, which the database does not hold. A vault set up before seals existed vouches for
        // its older entries by the checkpoints that cover them; from its first seal on, every entry is sealed.
        if (key is not null)
        {
            var seals = vault.Ledger.Seals();
            var sealedFromTheStart = sealScheme == EntrySeal.Scheme;
            var checkpointed = rows.Count > 0 ? Math.Min(rows[^1].Size, tree.Size) : 0;
            var from = sealedFromTheStart ? 0 : Math.Min(seals.Count > 0 ? Math.Max(0, seals[0].First) : tree.Size, checkpointed);
            foreach (var unsealed in EntrySeal.Unsealed(key, from, tree.Size, [.. seals.Where(s => s.Last >= from)], index => tree.PerfectNode(0, index), parallel: true))
            {
                Problem(unsealed);
            }
        }

        // 5. Originals: every clip in custody is stored with its size; with objects, every stored file re-hashed.
        long objectsChecked = 0;
        IReadOnlyCollection<string> RecordedVersions(Sha256Digest digest) => versions.TryGetValue(digest, out var recorded) ? recorded : [];
        // Exactly the versions verified at ingest, whatever was put over them since (R5); what the key holds
        // for entries written before versions were recorded.
        IEnumerable<string?> Checked(Sha256Digest digest)
        {
            var recorded = RecordedVersions(digest);
            return recorded.Count > 0 ? recorded.Cast<string?>() : [null];
        }
        foreach (var (digest, size) in clips)
        {
            foreach (var version in Checked(digest))
            {
                var held = await vault.Objects.SizeAsync(digest, version, cancellationToken).ConfigureAwait(false);
                if (held != size)
                {
                    var what = version is null ? $"object {digest}" : $"object {digest}: the version {version} verified at ingest";
                    Problem(held is null ? $"{what} is in custody but missing from the store" : $"{what} holds {held} bytes; custody recorded {size}");
                }
            }
        }

        if (rehashObjects)
        {
            try
            {
                await foreach (var digest in vault.Objects.ListAsync(cancellationToken).ConfigureAwait(false))
                {
                    objectsChecked++;
                    if (!clips.ContainsKey(digest) && !documents.Contains(digest))
                    {
                        unclaimed.Add(digest);
                    }

                    // On S3 a newer version or a delete marker over an original is an attempt on it (issue 18 §10):
                    // named, and the original version must still be there.
                    var recorded = RecordedVersions(digest);
                    if (vault.Objects is Storage.S3ObjectStore s3)
                    {
                        if (await s3.AttemptOnAsync(digest, recorded, cancellationToken).ConfigureAwait(false) is { } attempt)
                        {
                            Problem(attempt);
                        }
                        else if (recorded.Count == 0)
                        {
                            continue; // no version recorded (an older entry): the newest version hashed to its key
                        }
                    }

                    foreach (var version in Checked(digest))
                    {
                        try
                        {
                            await using var stream = await vault.Objects.OpenReadAsync(digest, version, cancellationToken).ConfigureAwait(false);
                            var actual = new Sha256Digest(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                            if (actual != digest)
                            {
                                Problem($"object {digest} is damaged: its bytes now hash to {actual}");
                            }
                        }
                        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
                        {
                            Problem(e.Message);
                        }
                    }
                }
            }
            catch (InvalidDataException e)
            {
                Problem(e.Message);
            }
        }

        // 6. Derived state: every derived table (roles, keys, timeline, reviews, clips) equals a replay of the
        // ledger, so no decision or report can rest on a row that no entry made (issue 18).
        var (differences, unreplayable) = await derivedTask.ConfigureAwait(false);
        foreach (var difference in differences)
        {
            Problem(difference.ToString());
        }

        foreach (var entry in unreplayable)
        {
            Problem(entry);
        }

        var covered = rows.Count > 0 ? rows[^1].Size : 0;
        return new VerificationReport(tree.Size, rows.Count, published.Count, objectsChecked, Math.Max(0, tree.Size - covered), key?.ToString(), problems, unclaimed);
    }

    private static (List<List<Sha256Digest>> Levels, string? Problem) ReadStoredNodes(SqliteLedger ledger)
    {
        var levels = new List<List<Sha256Digest>>();
        string? problem = null;
        ledger.ScanNodes((level, index, hash) =>
        {
            while (levels.Count <= level)
            {
                levels.Add([]);
            }

            if (index != levels[level].Count)
            {
                problem = $"Merkle node ({level}, {levels[level].Count}) is missing from the stored tree";
                return false;
            }

            levels[level].Add(hash);
            return true;
        });
        return (levels, problem);
    }

    private static NoteVerifierKey? ReadIdentity(LedgerEntry first, NoteVerifierKey? pinnedKey, Action<string> problem)
    {
        if (first.Type != EntryTypes.VaultCreated)
        {
            problem($"ledger entry 0 is {first.Type}, not {EntryTypes.VaultCreated}");
            return null;
        }

        try
        {
            var key = NoteVerifierKey.Parse(PayloadJson.Deserialize<VaultCreatedPayload>(first.Payload).VerifierKey);
            if (pinnedKey is not null && pinnedKey.ToString() != key.ToString())
            {
                problem($"the vault's key {key} is not the expected key {pinnedKey}");
                return pinnedKey;
            }

            return key;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            problem($"ledger entry 0 does not carry a readable verifier key: {e.Message}");
            return null;
        }
    }

    private static string? SealScheme(LedgerEntry first)
    {
        try
        {
            return first.Type == EntryTypes.VaultCreated ? PayloadJson.Deserialize<VaultCreatedPayload>(first.Payload).EntrySeals : null;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return null; // named by ReadIdentity
        }
    }

    private static Checkpoint? CheckCheckpoint(string name, long size, string note, NoteVerifierKey? key, MerkleTree tree, Action<string> problem)
    {
        if (key is null)
        {
            problem($"{name} cannot be checked: no verifier key");
            return null;
        }

        var checkpoint = Checkpoint.Open(note, key, out var reason);
        if (checkpoint is null)
        {
            problem($"{name}: {reason}");
            return null;
        }

        if (checkpoint.Size != size)
        {
            problem($"{name} is signed for size {checkpoint.Size}");
            return null;
        }

        if (size > tree.Size)
        {
            problem($"{name} covers {size} entries but the ledger holds only {tree.Size}: entries were removed");
            return null;
        }

        if (MerkleProofs.Root(tree, size) != checkpoint.Root)
        {
            problem($"{name}: its signed root does not match the ledger's first {size} entries (an entry was changed)");
            return null;
        }

        return checkpoint;
    }

    private readonly record struct SubjectState(int Count, long HeadIndex, Sha256Digest HeadLeaf, ulong IndexFingerprint)
    {
        public SubjectState With(long index, Sha256Digest leaf) => new(Count + 1, index, leaf, SubjectIndex.Fold(IndexFingerprint, index));
    }
}
