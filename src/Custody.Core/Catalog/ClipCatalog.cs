using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Interruptions;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Catalog;

/// <summary>Questions the dock and the clerk ask of the derived clip tables.</summary>
public sealed class ClipCatalog
{
    private readonly SqliteLedger _ledger;

    internal ClipCatalog(SqliteLedger ledger) => _ledger = ledger;

    /// <summary>
    /// True when an original other than <paramref name="sha256"/> is in custody from this device under
    /// this camera name: the camera re-used the name, or the file was replaced.
    /// </summary>
    public bool OtherBytesUnderName(string? deviceSerial, string fileName, Sha256Digest sha256) => _ledger.Query(statements =>
    {
        var command = statements("SELECT 1 FROM clip_custody WHERE device_serial IS $device AND file_name = $name AND sha256 <> $sha LIMIT 1", ["$device", "$name", "$sha"]);
        command.Parameters[0].Value = (object?)deviceSerial ?? DBNull.Value;
        command.Parameters[1].Value = fileName;
        command.Parameters[2].Value = sha256.ToHex();
        return command.ExecuteScalar() is not null;
    });

    /// <summary>The custody entry of exactly this object from this device under this camera name, if one exists (a retried registration).</summary>
    public long? CustodyEntryOf(string? deviceSerial, string fileName, Sha256Digest sha256) => _ledger.Query(statements =>
    {
        var command = statements("SELECT MIN(idx) FROM clip_custody WHERE sha256 = $sha AND device_serial IS $device AND file_name = $name", ["$sha", "$device", "$name"]);
        command.Parameters[0].Value = sha256.ToHex();
        command.Parameters[1].Value = (object?)deviceSerial ?? DBNull.Value;
        command.Parameters[2].Value = fileName;
        return command.ExecuteScalar() is long index ? index : (long?)null;
    });

    /// <summary>When the vault last took a clip from this device into custody (its last dock), if ever.</summary>
    public Instant? LastIngestFrom(string deviceSerial) => _ledger.Query(statements =>
    {
        var command = statements("SELECT MAX(ingested_ns) FROM clip_custody WHERE device_serial = $device", ["$device"]);
        command.Parameters[0].Value = deviceSerial;
        return command.ExecuteScalar() is long ns ? NodaConstants.UnixEpoch + Duration.FromNanoseconds(ns) : (Instant?)null;
    });

    /// <summary>Every custody fact about clips, oldest first, as the catalog holds it.</summary>
    public IReadOnlyList<ClipRow> All() => Search(new ClipSearch());

    /// <summary>
    /// R7 (001 §25): the custody facts matching every filter given, by officer, device, time of
    /// recording, case, party and cause. Unpaged (no <see cref="ClipSearch.Limit"/> or
    /// <see cref="ClipSearch.After"/>) they come by device and recording time; paged, in ledger order
    /// after the given entry, so a page is found through an index however many clips there are.
    /// </summary>
    public IReadOnlyList<ClipRow> Search(ClipSearch search) => _ledger.Query(statements =>
    {
        var where = new List<string>();
        var names = new List<string>();
        var values = new List<object>();
        void Filter(string clause, string name, object? value)
        {
            if (value is not null)
            {
                where.Add(clause);
                names.Add(name);
                values.Add(value);
            }
        }

        static string? Second(Instant? instant) => instant is { } at ? InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss").Format(at) : null;
        Filter("c.device_serial = $device", "$device", search.Device);
        Filter("c.officer_id = $officer", "$officer", search.Officer);
        // recorded_start is ISO 8601 UTC: its first 19 characters order as the instants do, to the second.
        Filter("substr(c.recorded_start, 1, 19) >= $from", "$from", Second(search.From));
        Filter("substr(c.recorded_start, 1, 19) < $to", "$to", Second(search.To));
        Filter("EXISTS (SELECT 1 FROM clip_link l WHERE l.sha256 = c.sha256 AND l.case_number = $case)", "$case", search.Case);
        Filter("EXISTS (SELECT 1 FROM clip_link l JOIN case_file f ON f.case_number = l.case_number, json_each(f.facts, '$.parties') p WHERE l.sha256 = c.sha256 AND p.value = $party)", "$party", search.Party);
        Filter("EXISTS (SELECT 1 FROM clip_link l JOIN case_file f ON f.case_number = l.case_number WHERE l.sha256 = c.sha256 AND instr(json_extract(f.facts, '$.cause'), $cause) > 0)", "$cause", search.Cause);
        // R7 by unit: the unit and every unit below it (expanded by the caller from the unit tree), as a JSON array.
        Filter("c.custody_unit IN (SELECT value FROM json_each($units))", "$units", search.UnitsWithin is { } units ? System.Text.Json.JsonSerializer.Serialize(units) : null);
        Filter("c.idx > $after", "$after", search.After);
        var paged = search.Limit is not null || search.After is not null;
        var sql = "SELECT c.idx, c.sha256, k.size, c.file_name, c.device_serial, c.officer_id, c.station, c.recorded_start, c.important, c.flags, c.ingested_ns, c.custody_unit " +
            "FROM clip_custody c JOIN clip k ON k.sha256 = c.sha256" +
            (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) +
            (paged ? " ORDER BY c.idx" : " ORDER BY c.device_serial, c.recorded_start, c.idx") +
            (search.Limit is not null ? " LIMIT $limit" : string.Empty);
        if (search.Limit is { } limit)
        {
            names.Add("$limit");
            values.Add(limit);
        }

        var command = statements(sql, [.. names]);
        for (var i = 0; i < values.Count; i++)
        {
            command.Parameters[i].Value = values[i];
        }

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
                NodaConstants.UnixEpoch + Duration.FromNanoseconds(reader.GetInt64(10)),
                reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return rows;
    });

    /// <summary>
    /// Recording times of every probed clip with a known start: the first custody fact of each
    /// original per device (the same bytes under two names are one recording).
    /// </summary>
    public IReadOnlyList<Interruptions.ClipTiming> Timings(string? deviceSerial = null) =>
        Timeline(deviceSerial).Where(t => t.Probed && t.Start is not null && t.Device is not null)
            .DistinctBy(t => (t.Sha256, t.Device))
            .Select(t => new Interruptions.ClipTiming(t.Sha256, t.Device!, t.Officer, t.Start!.Value, t.Length) { DockedAt = t.IngestedAt })
            .ToList();

    /// <summary>Every custody fact as the narrow timeline row scans read, in ledger order.</summary>
    public IReadOnlyList<TimelineRow> Timeline(string? deviceSerial = null, long fromIndex = 0, long toIndex = long.MaxValue) =>
        Columns(deviceSerial, fromIndex, toIndex).Rows().ToList();

    /// <summary>The same rows as columns, names as small integers: for scans over every clip.</summary>
    public TimelineColumns Columns(string? deviceSerial = null, long fromIndex = 0, long toIndex = long.MaxValue) =>
        _ledger.Raw(db => TimelineColumns.Read(db, deviceSerial, fromIndex, toIndex));

    /// <summary>Enforcement actions of all cases, as windows for interruption analysis and automatic links.</summary>
    public IReadOnlyList<Interruptions.ActionWindow> Actions() => _ledger.Query(statements =>
    {
        var rows = new List<Interruptions.ActionWindow>();
        using var reader = statements("SELECT idx, facts FROM case_action ORDER BY idx", []).ExecuteReader();
        while (reader.Read())
        {
            var action = System.Text.Json.JsonSerializer.Deserialize<ActionRecordedPayload>(reader.GetString(1), PayloadJson.Options)!;
            rows.Add(new Interruptions.ActionWindow(action.CaseNumber, action.Officers.ToArray(),
                NodaTime.Text.InstantPattern.ExtendedIso.Parse(action.Start).Value, NodaTime.Text.InstantPattern.ExtendedIso.Parse(action.End).Value) { Index = reader.GetInt64(0), ActionType = action.ActionType });
        }

        return rows;
    });

    /// <summary>A derived fact as its stored JSON, by table and clip (probe, speech).</summary>
    public string? FactsOf(string table, Sha256Digest sha256) => _ledger.Query(statements =>
    {
        if (table is not ("clip_probe" or "clip_speech"))
        {
            throw new ArgumentOutOfRangeException(nameof(table));
        }

        var command = statements($"SELECT facts FROM {table} WHERE sha256 = $sha", ["$sha"]);
        command.Parameters[0].Value = sha256.ToHex();
        return command.ExecuteScalar() as string;
    });

    /// <summary>Cases a clip is linked to.</summary>
    public IReadOnlyList<string> CasesOf(Sha256Digest sha256) =>
        RowsOf(sha256, "SELECT case_number FROM clip_link WHERE sha256 = $sha ORDER BY case_number", reader => reader.GetString(0));

    /// <summary>The devices and camera file names a clip came from (the same bytes may have come under several names).</summary>
    public IReadOnlyList<(string? Device, string FileName)> SourcesOf(Sha256Digest sha256) =>
        RowsOf(sha256, "SELECT device_serial, file_name FROM clip_custody WHERE sha256 = $sha ORDER BY idx", reader => (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1)));

    /// <summary>The ledger entries that took these bytes into custody (ClipIngested), oldest first.</summary>
    public IReadOnlyList<long> CustodyEntries(Sha256Digest sha256) =>
        RowsOf(sha256, "SELECT idx FROM clip_custody WHERE sha256 = $sha ORDER BY idx", reader => reader.GetInt64(0));

    /// <summary>Every row a query about one original (its hex digest as <c>$sha</c>) returns, read by <paramref name="read"/>.</summary>
    private List<T> RowsOf<T>(Sha256Digest sha256, string sql, Func<Microsoft.Data.Sqlite.SqliteDataReader, T> read) => _ledger.Query(statements =>
    {
        var command = statements(sql, ["$sha"]);
        command.Parameters[0].Value = sha256.ToHex();
        var rows = new List<T>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(read(reader));
        }

        return rows;
    });

    /// <summary>True when at least one custody fact holds these bytes.</summary>
    public bool Holds(Sha256Digest sha256) => _ledger.Query(statements =>
    {
        var command = statements("SELECT 1 FROM clip_custody WHERE sha256 = $sha LIMIT 1", ["$sha"]);
        command.Parameters[0].Value = sha256.ToHex();
        return command.ExecuteScalar() is not null;
    });

    /// <summary>Clips linked to a case now (links removed by ClipUnlinked are gone), in link order.</summary>
    public IReadOnlyList<Sha256Digest> ClipsOf(string caseNumber) => _ledger.Query(statements =>
    {
        var command = statements("SELECT sha256 FROM clip_link WHERE case_number = $n ORDER BY idx", ["$n"]);
        command.Parameters[0].Value = caseNumber;
        var rows = new List<Sha256Digest>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(Sha256Digest.ParseHex(reader.GetString(0)));
        }

        return rows;
    });

    public bool CaseExists(string caseNumber) => _ledger.Query(statements =>
    {
        var command = statements("SELECT 1 FROM case_file WHERE case_number = $n", ["$n"]);
        command.Parameters[0].Value = caseNumber;
        return command.ExecuteScalar() is not null;
    });

}

/// <summary>One custody fact about a clip, from the catalog.</summary>
/// <param name="LedgerIndex">The ClipIngested entry.</param>
/// <param name="RecordedStart">Offset-corrected start, UTC ISO 8601, when the name carried one.</param>
/// <summary>Filters of <see cref="ClipCatalog.Search"/>; each given one must hold. <see cref="Limit"/> and <see cref="After"/> page in ledger order.</summary>
public sealed record ClipSearch(
    string? Device = null,
    string? Officer = null,
    Instant? From = null,
    Instant? To = null,
    string? Case = null,
    string? Party = null,
    string? Cause = null,
    long? After = null,
    int? Limit = null,
    string? Unit = null)
{
    /// <summary><see cref="Unit"/> and the units below it, filled in from the unit tree before the search runs.</summary>
    public IReadOnlyList<string>? UnitsWithin { get; init; }
}

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
    Instant IngestedAt,
    string? Unit = null);

/// <summary>One custody fact on the clip timeline: who, when recorded (corrected start), how long (once probed), when docked.</summary>
public sealed record TimelineRow(long LedgerIndex, Sha256Digest Sha256, string? Device, string? Officer, string? Unit, Instant? Start, Duration Length, bool Probed, Instant IngestedAt);
