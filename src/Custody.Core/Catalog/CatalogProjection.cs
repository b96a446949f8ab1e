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

    public static void Apply(SqliteConnection connection, SqliteTransaction transaction, LedgerEntry entry)
    {
        switch (entry.Type)
        {
            case EntryTypes.ClipIngested:
                ApplyClipIngested(connection, transaction, entry);
                break;
        }
    }

    /// <summary>Empties the derived tables and replays every entry; runs in one transaction.</summary>
    public static long Rebuild(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        foreach (var table in DerivedTables)
        {
            Execute(connection, transaction, $"DELETE FROM {table}");
        }

        long replayed = 0;
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT entry FROM ledger_entry ORDER BY idx";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                Apply(connection, transaction, LedgerEntryCodec.Decode((byte[])reader[0]));
                replayed++;
            }
        }

        transaction.Commit();
        return replayed;
    }

    private static void ApplyClipIngested(SqliteConnection connection, SqliteTransaction transaction, LedgerEntry entry)
    {
        var clip = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
        using (var upsert = connection.CreateCommand())
        {
            upsert.Transaction = transaction;
            upsert.CommandText = """
                INSERT INTO clip(sha256, size, first_ingested_idx, first_ingested_ns, custody_facts)
                VALUES ($sha, $size, $idx, $ns, 1)
                ON CONFLICT(sha256) DO UPDATE SET custody_facts = custody_facts + 1
                """;
            upsert.Parameters.AddWithValue("$sha", clip.Sha256);
            upsert.Parameters.AddWithValue("$size", clip.Size);
            upsert.Parameters.AddWithValue("$idx", entry.Index);
            upsert.Parameters.AddWithValue("$ns", (entry.Time - NodaTime.NodaConstants.UnixEpoch).ToInt64Nanoseconds());
            upsert.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO clip_custody(idx, sha256, file_name, device_serial, officer_id, station, flags)
            VALUES ($idx, $sha, $name, $device, $officer, $station, $flags)
            """;
        insert.Parameters.AddWithValue("$idx", entry.Index);
        insert.Parameters.AddWithValue("$sha", clip.Sha256);
        insert.Parameters.AddWithValue("$name", clip.FileName);
        insert.Parameters.AddWithValue("$device", (object?)clip.DeviceSerial ?? DBNull.Value);
        insert.Parameters.AddWithValue("$officer", (object?)clip.OfficerId ?? DBNull.Value);
        insert.Parameters.AddWithValue("$station", (object?)clip.Station ?? DBNull.Value);
        insert.Parameters.AddWithValue("$flags", JsonSerializer.Serialize(clip.Flags));
        insert.ExecuteNonQuery();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
