using System.IO.Hashing;
using NodaTime;
using SQLitePCL;

namespace EvidenceVault.Custody.Catalog;

/// <summary>
/// The clip timeline of one ledger range as columns, for scans over every clip (the deadline
/// monitor reads a million rows): one row per custody fact in ledger order; device, officer and
/// unit as small integers into <see cref="Names"/> (a name repeats on thousands of rows, so each
/// distinct one becomes one string), times as nanoseconds since the Unix epoch.
/// </summary>
public sealed class TimelineColumns
{
    /// <summary>No name (a clip whose device, officer or unit is unknown).</summary>
    public const int NoName = -1;

    /// <summary>No recorded start: the camera's name carried no time.</summary>
    public const long NoStart = long.MinValue;

    private TimelineColumns(int capacity)
    {
        Index = new long[capacity];
        Sha = new Sha256Digest[capacity];
        Device = new int[capacity];
        Officer = new int[capacity];
        Unit = new int[capacity];
        StartNs = new long[capacity];
        LengthNs = new long[capacity];
        Probed = new bool[capacity];
        IngestedNs = new long[capacity];
    }

    public int Count { get; private set; }

    /// <summary>The ClipIngested entry of each row.</summary>
    public long[] Index { get; }

    public Sha256Digest[] Sha { get; }

    /// <summary>Into <see cref="Names"/>, or <see cref="NoName"/>.</summary>
    public int[] Device { get; }

    public int[] Officer { get; }

    public int[] Unit { get; }

    /// <summary>Clock-corrected start, or <see cref="NoStart"/>.</summary>
    public long[] StartNs { get; }

    /// <summary>Probed duration (0 until probed).</summary>
    public long[] LengthNs { get; }

    public bool[] Probed { get; }

    /// <summary>When the vault took the clip into custody (its dock).</summary>
    public long[] IngestedNs { get; }

    /// <summary>Every distinct device, officer and unit name of the range.</summary>
    public List<string> Names { get; } = [];

    public static Instant ToInstant(long nanoseconds) => NodaConstants.UnixEpoch + Duration.FromNanoseconds(nanoseconds);

    public string? Name(int id) => id == NoName ? null : Names[id];

    /// <summary>The rows as records (for callers that want a few rows, not columns).</summary>
    public IEnumerable<TimelineRow> Rows()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return new TimelineRow(Index[i], Sha[i], Name(Device[i]), Name(Officer[i]), Name(Unit[i]),
                StartNs[i] == NoStart ? null : ToInstant(StartNs[i]), Duration.FromNanoseconds(LengthNs[i]), Probed[i], ToInstant(IngestedNs[i]));
        }
    }

    /// <summary>
    /// Reads the rows of [<paramref name="fromIndex"/>, <paramref name="toIndex"/>), of one device or all,
    /// through raw sqlite3 calls (ADO.NET's per-column overhead dominated a scan of a million rows).
    /// </summary>
    internal static TimelineColumns Read(sqlite3 db, string? deviceSerial, long fromIndex, long toIndex)
    {
        var filter = deviceSerial is null ? "idx >= ?1 AND idx < ?2" : "device = ?3 AND idx >= ?1 AND idx < ?2";
        var count = (int)Scalar(db, $"SELECT COUNT(*) FROM clip_timeline WHERE {filter}", fromIndex, toIndex, deviceSerial);
        var columns = new TimelineColumns(count);
        Check(db, raw.sqlite3_prepare_v2(db, $"SELECT idx, sha, device, officer, unit, start_ns, length_ns, probed, ingested_ns FROM clip_timeline WHERE {filter} ORDER BY idx", out var statement));
        using (statement)
        {
            Bind(statement, fromIndex, toIndex, deviceSerial);
            var names = new NameTable(columns.Names);
            int step;
            var i = 0;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW && i < count)
            {
                columns.Index[i] = raw.sqlite3_column_int64(statement, 0);
                columns.Sha[i] = new Sha256Digest(raw.sqlite3_column_blob(statement, 1));
                columns.Device[i] = names.Id(statement, 2);
                columns.Officer[i] = names.Id(statement, 3);
                columns.Unit[i] = names.Id(statement, 4);
                columns.StartNs[i] = raw.sqlite3_column_type(statement, 5) == raw.SQLITE_NULL ? NoStart : raw.sqlite3_column_int64(statement, 5);
                columns.LengthNs[i] = raw.sqlite3_column_int64(statement, 6); // NULL reads as 0: not probed yet
                columns.Probed[i] = raw.sqlite3_column_int64(statement, 7) != 0;
                columns.IngestedNs[i] = raw.sqlite3_column_int64(statement, 8);
                i++;
            }

            Check(db, step is raw.SQLITE_DONE or raw.SQLITE_ROW ? raw.SQLITE_OK : step);
            columns.Count = i; // the count and the rows come from one read transaction: equal
            return columns;
        }
    }

    private static long Scalar(sqlite3 db, string sql, long fromIndex, long toIndex, string? deviceSerial)
    {
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        using (statement)
        {
            Bind(statement, fromIndex, toIndex, deviceSerial);
            var step = raw.sqlite3_step(statement);
            Check(db, step == raw.SQLITE_ROW ? raw.SQLITE_OK : step);
            return raw.sqlite3_column_int64(statement, 0);
        }
    }

    private static void Bind(sqlite3_stmt statement, long fromIndex, long toIndex, string? deviceSerial)
    {
        raw.sqlite3_bind_int64(statement, 1, fromIndex);
        raw.sqlite3_bind_int64(statement, 2, toIndex);
        if (deviceSerial is not null)
        {
            raw.sqlite3_bind_text(statement, 3, deviceSerial);
        }
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new VaultException($"Reading the clip timeline failed: {raw.sqlite3_errmsg(db).utf8_to_string()}");
        }
    }

    /// <summary>One integer per distinct UTF-8 name, found by a 64-bit hash of its bytes and confirmed byte for byte.</summary>
    private sealed class NameTable(List<string> names)
    {
        private readonly Dictionary<ulong, int> _byHash = [];
        private readonly List<byte[]> _bytes = [];

        public int Id(sqlite3_stmt statement, int column)
        {
            if (raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL)
            {
                return NoName;
            }

            var utf8 = raw.sqlite3_column_blob(statement, column);
            var hash = XxHash3.HashToUInt64(utf8);
            if (_byHash.TryGetValue(hash, out var id))
            {
                if (utf8.SequenceEqual(_bytes[id]))
                {
                    return id;
                }

                // Two names with one hash (never seen, but possible): the other one is found by comparing bytes.
                for (var other = 0; other < _bytes.Count; other++)
                {
                    if (utf8.SequenceEqual(_bytes[other]))
                    {
                        return other;
                    }
                }
            }

            _bytes.Add(utf8.ToArray());
            names.Add(System.Text.Encoding.UTF8.GetString(utf8));
            _byHash.TryAdd(hash, _bytes.Count - 1);
            return _bytes.Count - 1;
        }
    }
}
