using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Deadlines;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using Microsoft.Data.Sqlite;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Bench;

/// <summary>A full deadline scan over N clips on SQLite, against reading the same rows with no logic.</summary>
internal static class DeadlineBench
{
    public static async Task RunAsync(int clips)
    {
        // EV_BENCH_DEADLINES_DIR keeps the generated vault between runs (set-up takes minutes at 1,000,000 clips).
        var kept = Environment.GetEnvironmentVariable("EV_BENCH_DEADLINES_DIR");
        var root = kept ?? Path.Combine(Path.GetTempPath(), "ev-bench-deadlines-" + Guid.NewGuid().ToString("N"));
        var endFile = Path.Combine(root, "bench-end.txt");
        try
        {
            var stopwatch = Stopwatch.StartNew();
            if (kept is not null && File.Exists(endFile))
            {
                using var existing = Vault.Open(root, BenchClock.System, new VaultOptions { CheckpointEvery = int.MaxValue });
                Scans(root, existing, InstantPattern.ExtendedIso.Parse(File.ReadAllText(endFile)).Value, clips);
                return;
            }

            // Docks happen a few hours after recording, as at a real station: most clips are on time.
            var dockClock = new SettableClock { Now = Instant.FromUtc(2026, 1, 5, 0, 0) };
            using var vault = Vault.Create(root, dockClock, new VaultOptions { CheckpointEvery = int.MaxValue, PolicyProfile = "jiaozuo-emergency" });
            var random = new Random(6);
            var start = Instant.FromUtc(2026, 1, 5, 0, 0);
            var clock = new Dictionary<int, Instant>();
            const int Batch = 5000;
            for (var done = 0; done < clips; done += Batch)
            {
                var batch = new List<NewEntry>(2 * Batch);
                for (var i = done; i < Math.Min(clips, done + Batch); i++)
                {
                    var device = i % 2000; // every camera records through the year, as at a real station
                    var at = clock.TryGetValue(device, out var c) ? c : start;
                    at += Duration.FromSeconds(random.Next(10) < 8 ? 0 : random.Next(60, 4000));
                    var seconds = random.Next(60, 900);
                    clock[device] = at + Duration.FromSeconds(seconds);
                    var sha = Sha256Digest.Of(BitConverter.GetBytes((long)i)).ToHex();
                    var facts = new ClipFacts { FileName = $"D{device:D6}_{i}.MP4", DeviceSerial = $"D{device:D6}", OfficerId = $"{100000 + device % 700}", UnitId = $"unit-{device % 40}", RecordedStart = InstantPattern.ExtendedIso.Format(at) };
                    batch.Add(new NewEntry(EntryTypes.ClipIngested, "bench", [Subjects.Clip(Sha256Digest.ParseHex(sha))], "bench", PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha, Size = 1, Clip = facts })));
                    batch.Add(new NewEntry(EntryTypes.ClipProbed, "bench", [Subjects.Clip(Sha256Digest.ParseHex(sha))], "bench", PayloadJson.Serialize(new ClipProbedPayload { Sha256 = sha, DurationSeconds = seconds })));
                }

                // Docked within hours of the batch's last recording: only the oldest recordings of a batch can be late.
                dockClock.Now = clock.Values.Max() + Duration.FromMinutes(random.Next(30, 240));
                vault.Ledger.Append(batch, vault.Sealer);
            }

            Console.WriteLine($"set-up: {clips:N0} clips ({vault.Ledger.Size:N0} entries) in {stopwatch.Elapsed.TotalSeconds:F1} s");
            // As SQLite's automatic checkpoint would have done by the time anyone scans: fold the WAL into the database.
            using (var checkpoint = new SqliteConnection($"Data Source={Path.Combine(root, Vault.CatalogFile)};Pooling=false"))
            {
                checkpoint.Open();
                using var command = checkpoint.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                command.ExecuteNonQuery();
            }

            File.WriteAllText(endFile, InstantPattern.ExtendedIso.Format(dockClock.Now + Duration.FromHours(1)));
            Scans(root, vault, dockClock.Now + Duration.FromHours(1), clips);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (kept is null)
            {
                Directory.Delete(root, recursive: true);
            }
        }

        await Task.CompletedTask;
    }

    private static void Scans(string root, Vault vault, Instant at2, int clips)
    {
        var stopwatch = Stopwatch.StartNew();
        var raw = new double[3];
        var bare = new double[3];
        var scan = new double[3];
        var findings = 0;
        for (var run = 0; run < 3; run++)
        {
            stopwatch.Restart();
            RawRead(Path.Combine(root, Vault.CatalogFile));
            raw[run] = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            BareTimeline(Path.Combine(root, Vault.CatalogFile));
            bare[run] = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            findings = DeadlineMonitor.Scan(vault, at2, WorkingCalendar.Default).Findings.Count;
            scan[run] = stopwatch.Elapsed.TotalSeconds;
        }

        Array.Sort(raw);
        Array.Sort(bare);
        Array.Sort(scan);
        Console.WriteLine($"full deadline scan over {clips:N0} clips of 2,000 devices on SQLite (median of 3), {findings:N0} findings:");
        Console.WriteLine($"  reading the clip rows it needs, no logic (baseline): {raw[1],6:F2} s");
        Console.WriteLine($"  sqlite3_step over the clip timeline's 9 columns, one connection, no logic: {bare[1],6:F2} s");
        Console.WriteLine($"  custody deadlines scan:                             {scan[1],6:F2} s  ({scan[1] / raw[1]:F2}x baseline, {scan[1] / bare[1]:F2}x the bare timeline read; goal <= 2 s)");
    }

    /// <summary>The floor: stepping through the derived timeline the scan reads, every column fetched, nothing kept.</summary>
    private static void BareTimeline(string path)
    {
        SQLitePCL.raw.sqlite3_open_v2(path, out var db, SQLitePCL.raw.SQLITE_OPEN_READONLY, null);
        using (db)
        {
            SQLitePCL.raw.sqlite3_prepare_v2(db, "SELECT idx, sha, device, officer, unit, start_ns, length_ns, probed, ingested_ns FROM clip_timeline", out var statement);
            using (statement)
            {
                long sum = 0;
                while (SQLitePCL.raw.sqlite3_step(statement) == SQLitePCL.raw.SQLITE_ROW)
                {
                    sum += SQLitePCL.raw.sqlite3_column_int64(statement, 0) + SQLitePCL.raw.sqlite3_column_blob(statement, 1).Length
                        + SQLitePCL.raw.sqlite3_column_blob(statement, 2).Length + SQLitePCL.raw.sqlite3_column_blob(statement, 3).Length + SQLitePCL.raw.sqlite3_column_blob(statement, 4).Length
                        + SQLitePCL.raw.sqlite3_column_int64(statement, 5) + SQLitePCL.raw.sqlite3_column_int64(statement, 6) + SQLitePCL.raw.sqlite3_column_int64(statement, 7) + SQLitePCL.raw.sqlite3_column_int64(statement, 8);
                }

                GC.KeepAlive(sum);
            }
        }
    }

    private static void RawRead(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT c.sha256, c.device_serial, c.officer_id, c.unit_id, c.recorded_start, c.ingested_ns, p.duration_s FROM clip_custody c LEFT JOIN clip_probe p ON p.sha256 = c.sha256";
        using var reader = command.ExecuteReader();
        long rows = 0;
        while (reader.Read())
        {
            _ = reader.GetString(0);
            _ = reader.GetString(4);
            rows++;
        }
    }
}

internal sealed class SettableClock : IClock
{
    public Instant Now { get; set; }

    public Instant GetCurrentInstant() => Now;
}
