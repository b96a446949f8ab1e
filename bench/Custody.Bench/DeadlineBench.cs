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
        var root = Path.Combine(Path.GetTempPath(), "ev-bench-deadlines-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stopwatch = Stopwatch.StartNew();
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
                vault.Ledger.Append(batch);
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

            var at2 = dockClock.Now + Duration.FromHours(1);
            var raw = new double[3];
            var scan = new double[3];
            var findings = 0;
            for (var run = 0; run < 3; run++)
            {
                stopwatch.Restart();
                RawRead(Path.Combine(root, Vault.CatalogFile));
                raw[run] = stopwatch.Elapsed.TotalSeconds;
                stopwatch.Restart();
                findings = DeadlineMonitor.Scan(vault, at2, WorkingCalendar.Default).Findings.Count;
                scan[run] = stopwatch.Elapsed.TotalSeconds;
            }

            Array.Sort(raw);
            Array.Sort(scan);
            Console.WriteLine($"full deadline scan over {clips:N0} clips of 2,000 devices on SQLite (median of 3), {findings:N0} findings:");
            Console.WriteLine($"  reading the clip rows it needs, no logic (baseline): {raw[1],6:F2} s");
            Console.WriteLine($"  custody deadlines scan:                             {scan[1],6:F2} s  ({scan[1] / raw[1]:F2}x baseline; goal <= 2 s)");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }

        await Task.CompletedTask;
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
