using System.Text.Json;
using EvidenceVault.Custody.Ledger;
using Microsoft.Data.Sqlite;

namespace EvidenceVault.Custody.Catalog;

/// <summary>
/// Derives the catalog's clip tables from ledger entries. The ledger is the source of truth: the
/// same function runs when an entry is appended and when the catalog is rebuilt from the ledger
/// alone, so the two cannot disagree.
/// </summary>
internal static class CatalogProjection
{
    public static readonly string[] DerivedTables = ["clip", "clip_custody", "clip_probe", "clip_speech", "speech_review", "written_explanation", "case_file", "case_action", "clip_link", "clip_timeline", "policy_selection", "declaration", "case_status", "action_approval", "work_record", "retention_fact", "api_key", "role_grant"];

    /// <summary>Gives a prepared statement for the SQL with the named parameters, bound to the current transaction.</summary>
    public delegate SqliteCommand Statements(string sql, string[] parameters);

    /// <summary>The earlier entry holding the same fact as <paramref name="fact"/>, if any: for a clip's custody, the same object from the same device under the same camera name.</summary>
    public static long? SameFact(Statements statements, NewEntry fact)
    {
        if (fact.Type != EntryTypes.ClipIngested)
        {
            return null;
        }

        var payload = PayloadJson.Deserialize<ClipIngestedPayload>(fact.Payload);
        var command = statements("SELECT MIN(idx) FROM clip_custody WHERE sha256 = $sha AND device_serial IS $device AND file_name = $name", ["$sha", "$device", "$name"]);
        command.Parameters[0].Value = payload.Sha256;
        command.Parameters[1].Value = (object?)payload.Clip.DeviceSerial ?? DBNull.Value;
        command.Parameters[2].Value = payload.Clip.FileName;
        return command.ExecuteScalar() is long index ? index : null;
    }

    public static void Apply(Statements statements, LedgerEntry entry)
    {
        switch (entry.Type)
        {
            case EntryTypes.ClipIngested:
                ApplyClipIngested(statements, entry);
                break;
            case EntryTypes.ClipProbed or EntryTypes.ProbeFailed:
                var probe = PayloadJson.Deserialize<ClipProbedPayload>(entry.Payload);
                // R4: a clip cut short lasts as long as the media it holds; the rest of its index's duration is a gap.
                if (entry.Type == EntryTypes.ClipProbed && (probe.Truncated?.MediaSeconds ?? probe.DurationSeconds) is { } seconds)
                {
                    Run(statements("UPDATE clip_timeline SET length_ns = $len, probed = 1 WHERE sha = $sha", ["$len", "$sha"]),
                        NodaTime.Duration.FromSeconds(seconds).ToInt64Nanoseconds(), Sha256Digest.ParseHex(probe.Sha256).ToArray());
                }

                Run(statements("INSERT OR REPLACE INTO clip_probe(sha256, idx, ok, duration_s, facts) VALUES ($sha, $idx, $ok, $d, $facts)", ["$sha", "$idx", "$ok", "$d", "$facts"]),
                    probe.Sha256, entry.Index, entry.Type == EntryTypes.ClipProbed ? 1 : 0, probe.DurationSeconds, entry.PayloadText);
                break;
            case EntryTypes.SpeechAnalysed:
                var speech = PayloadJson.Deserialize<SpeechAnalysedPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO clip_speech(sha256, idx, verdict, facts) VALUES ($sha, $idx, $v, $facts)", ["$sha", "$idx", "$v", "$facts"]),
                    speech.Sha256, entry.Index, speech.Verdict, entry.PayloadText);
                break;
            case EntryTypes.SpeechReviewed:
                var review = PayloadJson.Deserialize<SpeechReviewedPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO speech_review(sha256, idx, heard, reviewer) VALUES ($sha, $idx, $heard, $by)", ["$sha", "$idx", "$heard", "$by"]),
                    review.Sha256, entry.Index, review.Heard ? 1 : 0, entry.Actor);
                break;
            case EntryTypes.WrittenExplanationAttached:
                var written = PayloadJson.Deserialize<WrittenExplanationPayload>(entry.Payload);
                Run(statements("INSERT INTO written_explanation(idx, resumed_sha256, facts) VALUES ($idx, $sha, $facts)", ["$idx", "$sha", "$facts"]),
                    entry.Index, written.ResumedClipSha256, entry.PayloadText);
                break;
            case EntryTypes.CaseRegistered:
                var registered = PayloadJson.Deserialize<CaseRegisteredPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO case_file(case_number, idx, facts) VALUES ($n, $idx, $facts)", ["$n", "$idx", "$facts"]),
                    registered.CaseNumber, entry.Index, entry.PayloadText);
                break;
            case EntryTypes.ActionRecorded:
                var action = PayloadJson.Deserialize<ActionRecordedPayload>(entry.Payload);
                Run(statements("INSERT INTO case_action(idx, case_number, start_utc, end_utc, facts) VALUES ($idx, $n, $s, $e, $facts)", ["$idx", "$n", "$s", "$e", "$facts"]),
                    entry.Index, action.CaseNumber, action.Start, action.End, entry.PayloadText);
                break;
            case EntryTypes.ClipLinked:
                var link = PayloadJson.Deserialize<ClipLinkPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO clip_link(sha256, case_number, action_idx, idx) VALUES ($sha, $n, $a, $idx)", ["$sha", "$n", "$a", "$idx"]),
                    link.Sha256, link.CaseNumber, link.ActionIndex, entry.Index);
                break;
            case EntryTypes.PolicySelected:
                Run(statements("INSERT INTO policy_selection(idx, profile_id) VALUES ($idx, $p)", ["$idx", "$p"]), entry.Index, PayloadJson.Deserialize<PolicySelectedPayload>(entry.Payload).ProfileId);
                break;
            case EntryTypes.RemoteEnforcementDeclared:
                var declared = PayloadJson.Deserialize<RemoteEnforcementDeclaredPayload>(entry.Payload);
                Run(statements("INSERT INTO declaration(idx, officer_id, from_utc, return_utc, facts) VALUES ($idx, $o, $f, $r, $facts)", ["$idx", "$o", "$f", "$r", "$facts"]),
                    entry.Index, declared.OfficerId, declared.From, declared.ReturnedAt, entry.PayloadText);
                break;
            case EntryTypes.MatterEnded:
                var ended = PayloadJson.Deserialize<MatterEndedPayload>(entry.Payload);
                Run(statements("INSERT INTO case_status(case_number, ended_utc) VALUES ($n, $e) ON CONFLICT(case_number) DO UPDATE SET ended_utc = $e", ["$n", "$e"]), ended.CaseNumber, ended.EndedAt);
                break;
            case EntryTypes.CaseArchived:
                var archived = PayloadJson.Deserialize<CaseArchivedPayload>(entry.Payload);
                Run(statements("INSERT INTO case_status(case_number, archived_utc) VALUES ($n, $a) ON CONFLICT(case_number) DO UPDATE SET archived_utc = $a", ["$n", "$a"]), archived.CaseNumber, archived.ArchivedAt);
                break;
            case EntryTypes.ActionApproved:
                var approved = PayloadJson.Deserialize<ActionApprovedPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO action_approval(action_idx, idx, approved_utc) VALUES ($a, $idx, $t)", ["$a", "$idx", "$t"]), approved.ActionIndex, entry.Index, approved.ApprovedAt);
                break;
            case EntryTypes.WorkRecordFiled:
                var filed = PayloadJson.Deserialize<WorkRecordFiledPayload>(entry.Payload);
                Run(statements("INSERT INTO work_record(idx, officer_id, filed_utc, facts) VALUES ($idx, $o, $t, $facts)", ["$idx", "$o", "$t", "$facts"]), entry.Index, filed.OfficerId, filed.At, entry.PayloadText);
                break;
            case EntryTypes.WorkRecordReviewed:
                var reviewed = PayloadJson.Deserialize<WorkRecordReviewedPayload>(entry.Payload);
                Run(statements("UPDATE work_record SET reviewed_idx = $idx WHERE idx = $r", ["$idx", "$r"]), entry.Index, reviewed.RecordIndex);
                break;
            case EntryTypes.RetentionFactRecorded:
                var fact = PayloadJson.Deserialize<RetentionFactPayload>(entry.Payload);
                Run(statements("INSERT INTO retention_fact(idx, kind, subject, facts) VALUES ($idx, $k, $s, $facts)", ["$idx", "$k", "$s", "$facts"]), entry.Index, fact.Kind, fact.Subject, entry.PayloadText);
                break;
            case EntryTypes.AccountIssued:
                var issued = PayloadJson.Deserialize<Access.AccountIssuedPayload>(entry.Payload);
                Run(statements("INSERT OR REPLACE INTO api_key(key_sha256, account, kind, idx, revoked_idx) VALUES ($k, $a, $kind, $idx, NULL)", ["$k", "$a", "$kind", "$idx"]),
                    issued.KeySha256, issued.Account, issued.Kind, entry.Index);
                break;
            case EntryTypes.AccountRevoked:
                // Only the kind named (every kind in entries written before issue 21); a person's roles go with the account.
                var revokedAccount = PayloadJson.Deserialize<Access.AccountRevokedPayload>(entry.Payload);
                Run(statements("UPDATE api_key SET revoked_idx = $idx WHERE account = $a AND revoked_idx IS NULL AND ($kind IS NULL OR kind = $kind)", ["$idx", "$a", "$kind"]),
                    entry.Index, revokedAccount.Account, revokedAccount.Kind);
                if (revokedAccount.Revokes(Access.AccountKinds.Person))
                {
                    Run(statements("DELETE FROM role_grant WHERE account = $a", ["$a"]), revokedAccount.Account);
                }

                break;
            case EntryTypes.RoleRevoked:
                var withdrawn = PayloadJson.Deserialize<Access.RoleRevokedPayload>(entry.Payload);
                Run(statements("DELETE FROM role_grant WHERE account = $a AND role = $r", ["$a", "$r"]), withdrawn.User, withdrawn.Role);
                break;
            case EntryTypes.RoleGranted:
                var granted = PayloadJson.Deserialize<RoleGrantedPayload>(entry.Payload);
                Run(statements("INSERT OR IGNORE INTO role_grant(account, role, idx) VALUES ($a, $r, $idx)", ["$a", "$r", "$idx"]), granted.User, granted.Role, entry.Index);
                break;
            case EntryTypes.ClipUnlinked:
                var unlink = PayloadJson.Deserialize<ClipLinkPayload>(entry.Payload);
                Run(statements("DELETE FROM clip_link WHERE sha256 = $sha AND case_number = $n", ["$sha", "$n"]), unlink.Sha256, unlink.CaseNumber);
                break;
        }
    }

    /// <summary>Empties the derived tables and replays every entry, inside the caller's transaction.</summary>
    /// <summary>
    /// Replays every entry into emptied derived tables. An entry that cannot be replayed (not stored as
    /// bytes, not a valid entry, a payload its type cannot read) is skipped with its own savepoint, so
    /// it leaves no half-made rows, and named in <paramref name="problems"/>; the rest is replayed.
    /// </summary>
    public static long Rebuild(SqliteTransaction transaction, Statements statements, List<string> problems)
    {
        foreach (var table in DerivedTables)
        {
            using var delete = transaction.Connection!.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table}";
            delete.ExecuteNonQuery();
        }

        var replay = new Replay(transaction, statements, problems);
        using (var read = transaction.Connection!.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT idx, entry FROM ledger_entry ORDER BY idx";
            var entries = new List<(long Index, object Value)>();
            using (var reader = read.ExecuteReader())
            {
                while (reader.Read())
                {
                    entries.Add((reader.GetInt64(0), reader.GetValue(1)));
                }
            }

            foreach (var (index, value) in entries)
            {
                replay.Add(index, value);
            }
        }

        return replay.Finish();
    }

    /// <summary>
    /// Applies entries in index order, each wholly or not at all: an entry that cannot be applied is
    /// named in the problems and derives nothing. Entries go in chunks under one savepoint (a savepoint
    /// per entry made a replay of 1,000,000 entries several times slower, docs/benchmarks.md); a chunk
    /// that fails is rolled back and applied again entry by entry.
    /// </summary>
    public sealed class Replay(SqliteTransaction transaction, Statements statements, List<string> problems)
    {
        private const int Chunk = 2_000;
        private readonly List<(long Index, object Value)> _pending = new(Chunk);
        private long _count;

        public void Add(long index, object value)
        {
            _pending.Add((index, value));
            _count++;
            if (_pending.Count == Chunk)
            {
                Flush();
            }
        }

        public long Finish()
        {
            Flush();
            return _count;
        }

        private void Flush()
        {
            if (_pending.Count == 0)
            {
                return;
            }

            transaction.Save("chunk");
            var failed = false;
            foreach (var (_, value) in _pending)
            {
                if (value is not byte[] bytes)
                {
                    continue;
                }

                try
                {
                    Apply(statements, LedgerEntryCodec.Decode(bytes));
                }
                catch (Exception e) when (IsUnreplayable(e))
                {
                    failed = true;
                    break;
                }
            }

            if (failed)
            {
                transaction.Rollback("chunk");
                foreach (var (index, value) in _pending)
                {
                    ApplyAlone(index, value);
                }
            }

            transaction.Release("chunk");
            foreach (var (index, value) in _pending.Where(p => p.Value is not byte[]))
            {
                problems.Add($"ledger entry {index}: its entry column holds {SqliteLedger.Describe(value)}, not the entry's bytes; not replayed");
            }

            _pending.Clear();
        }

        private void ApplyAlone(long index, object value)
        {
            if (value is not byte[] bytes)
            {
                return;
            }

            transaction.Save("entry");
            try
            {
                Apply(statements, LedgerEntryCodec.Decode(bytes));
                transaction.Release("entry");
            }
            catch (Exception e) when (IsUnreplayable(e))
            {
                transaction.Rollback("entry");
                transaction.Release("entry");
                problems.Add($"ledger entry {index}: cannot be replayed ({e.Message}); its derived rows are missing");
            }
        }

        private static bool IsUnreplayable(Exception e) => e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or OverflowException;
    }

    private static void ApplyClipIngested(Statements statements, LedgerEntry entry)
    {
        var clip = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
        var upsert = statements("""
            INSERT INTO clip(sha256, size, first_ingested_idx, first_ingested_ns, custody_facts)
            VALUES ($sha, $size, $idx, $ns, 1)
            ON CONFLICT(sha256) DO UPDATE SET custody_facts = custody_facts + 1
            """, ["$sha", "$size", "$idx", "$ns"]);
        Run(upsert, clip.Sha256, clip.Size, entry.Index, (entry.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds());

        var insert = statements("""
            INSERT INTO clip_custody(idx, sha256, file_name, device_serial, officer_id, station, flags, size_on_camera, recorded_start, important, ingested_ns, unit_id, recorded_start_ns, custody_unit)
            VALUES ($idx, $sha, $name, $device, $officer, $station, $flags, $listed, $start, $important, $ns, $unit, $startNs, $custodyUnit)
            """, ["$idx", "$sha", "$name", "$device", "$officer", "$station", "$flags", "$listed", "$start", "$important", "$ns", "$unit", "$startNs", "$custodyUnit"]);
        var facts = clip.Clip;
        long? startNs = facts.RecordedStart is { } start && NodaTime.Text.InstantPattern.ExtendedIso.Parse(start) is { Success: true } parsed
            ? (parsed.Value - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds() : null;
        var ingestedNs = (entry.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds();
        // A second custody fact of an already probed original inherits its length.
        Run(statements("""
            INSERT INTO clip_timeline(idx, sha, device, officer, unit, start_ns, length_ns, probed, ingested_ns)
            VALUES ($idx, $sha, $device, $officer, $unit, $start, (SELECT MAX(length_ns) FROM clip_timeline WHERE sha = $sha),
                    COALESCE((SELECT MAX(probed) FROM clip_timeline WHERE sha = $sha), 0), $ingested)
            """, ["$idx", "$sha", "$device", "$officer", "$unit", "$start", "$ingested"]),
            entry.Index, Sha256Digest.ParseHex(clip.Sha256).ToArray(), facts.DeviceSerial, facts.OfficerId, facts.UnitId, startNs, ingestedNs);
        Run(insert, entry.Index, clip.Sha256, facts.FileName, facts.DeviceSerial, facts.OfficerId, clip.Station, JsonSerializer.Serialize(facts.Flags),
            facts.SizeOnCamera, facts.RecordedStart, facts.Important ? 1 : 0, ingestedNs, facts.UnitId, startNs, clip.Unit);
    }

    private static void Run(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }
}
