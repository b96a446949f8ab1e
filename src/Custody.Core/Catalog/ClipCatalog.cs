using EvidenceVault.Custody.Ledger;
using NodaTime;

namespace EvidenceVault.Custody.Catalog;

/// <summary>Questions the dock and the clerk ask of the derived clip tables.</summary>
public sealed class ClipCatalog
{
    private readonly SqliteLedger _ledger;

    internal ClipCatalog(SqliteLedger ledger) => _ledger = ledger;

    /// <summary>
    /// The object a camera's file went into custody as, if this file (same device, same name on
    /// the camera, same size) was ingested before: a re-dock then reads nothing again.
    /// </summary>
    public Sha256Digest? InCustody(string? deviceSerial, string fileName, long sizeOnCamera) => _ledger.Query(statements =>
    {
        var command = statements("""
            SELECT c.sha256 FROM clip_custody c
            WHERE c.device_serial IS $device AND c.file_name = $name AND COALESCE(c.size_on_camera, (SELECT size FROM clip WHERE sha256 = c.sha256)) = $size
            LIMIT 1
            """, ["$device", "$name", "$size"]);
        command.Parameters[0].Value = (object?)deviceSerial ?? DBNull.Value;
        command.Parameters[1].Value = fileName;
        command.Parameters[2].Value = sizeOnCamera;
        return command.ExecuteScalar() is string hex ? Sha256Digest.ParseHex(hex) : (Sha256Digest?)null;
    });

    /// <summary>When the vault last took a clip from this device into custody (its last dock), if ever.</summary>
    public Instant? LastIngestFrom(string deviceSerial) => _ledger.Query(statements =>
    {
        var command = statements("SELECT MAX(ingested_ns) FROM clip_custody WHERE device_serial = $device", ["$device"]);
        command.Parameters[0].Value = deviceSerial;
        return command.ExecuteScalar() is long ns ? NodaConstants.UnixEpoch + Duration.FromNanoseconds(ns) : (Instant?)null;
    });

    /// <summary>Every custody fact about clips, oldest first, as the catalog holds it.</summary>
    public IReadOnlyList<ClipRow> All() => _ledger.Query(statements =>
    {
        var command = statements("""
            SELECT c.idx, c.sha256, k.size, c.file_name, c.device_serial, c.officer_id, c.station, c.recorded_start, c.important, c.flags, c.ingested_ns
            FROM clip_custody c JOIN clip k ON k.sha256 = c.sha256 ORDER BY c.idx
            """, []);
        var rows = new List<ClipRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new ClipRow(
                reader.GetInt64(0),
                Sha256Digest.ParseHex(reader.GetString(1)),
                reader.GetInt64(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetInt64(8) != 0,
                System.Text.Json.JsonSerializer.Deserialize<string[]>(reader.GetString(9)) ?? [],
                NodaConstants.UnixEpoch + Duration.FromNanoseconds(reader.GetInt64(10))));
        }

        return rows;
    });

    /// <summary>Number of custody facts (ClipIngested entries) and distinct objects.</summary>
    public (long Facts, long Objects) Counts() => _ledger.Query(statements =>
    {
        var command = statements("SELECT (SELECT COUNT(*) FROM clip_custody), (SELECT COUNT(*) FROM clip)", []);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    });
}

/// <summary>One custody fact about a clip, from the catalog.</summary>
/// <param name="LedgerIndex">The ClipIngested entry.</param>
/// <param name="RecordedStart">Offset-corrected start, UTC ISO 8601, when the name carried one.</param>
public sealed record ClipRow(
    long LedgerIndex,
    Sha256Digest Sha256,
    long Size,
    string FileName,
    string? DeviceSerial,
    string? OfficerId,
    string? Station,
    string? RecordedStart,
    bool Important,
    IReadOnlyList<string> Flags,
    Instant IngestedAt);
