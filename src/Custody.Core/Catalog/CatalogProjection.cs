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
    public static readonly string[] DerivedTables = ["clip", "clip_custody"];

    /// <summary>Gives a prepared statement for the SQL with the named parameters, bound to the current transaction.</summary>
    public delegate SqliteCommand Statements(string sql, string[] parameters);

    public static void Apply(Statements statements, LedgerEntry entry)
    {
        switch (entry.Type)
        {
            case EntryTypes.ClipIngested:
                ApplyClipIngested(statements, entry);
                break;
        }
    }

    /// <summary>Empties the derived tables and replays every entry, inside the caller's transaction.</summary>
    public static long Rebuild(SqliteTransaction transaction, Statements statements)
    {
        foreach (var table in DerivedTables)
        {
            using var delete = transaction.Connection!.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = $"DELETE FROM {table}";
            delete.ExecuteNonQuery();
        }

        var entries = new List<byte[]>();
        using (var read = transaction.Connection!.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT entry FROM ledger_entry ORDER BY idx";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                entries.Add((byte[])reader[0]);
            }
        }

        foreach (var bytes in entries)
        {
            Apply(statements, LedgerEntryCodec.Decode(bytes));
        }

        return entries.Count;
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
            INSERT INTO clip_custody(idx, sha256, file_name, device_serial, officer_id, station, flags, size_on_camera, recorded_start, important, ingested_ns)
            VALUES ($idx, $sha, $name, $device, $officer, $station, $flags, $listed, $start, $important, $ns)
            """, ["$idx", "$sha", "$name", "$device", "$officer", "$station", "$flags", "$listed", "$start", "$important", "$ns"]);
        var facts = clip.Clip;
        Run(insert, entry.Index, clip.Sha256, facts.FileName, facts.DeviceSerial, facts.OfficerId, clip.Station, JsonSerializer.Serialize(facts.Flags),
            facts.SizeOnCamera, facts.RecordedStart, facts.Important ? 1 : 0, (entry.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds());
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
