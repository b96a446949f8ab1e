using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Ledger;
using Microsoft.Extensions.DependencyInjection;
using MediatR;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Bench;

/// <summary>
/// R7 search (issue 21) over N clips on SQLite: a page of 100 through the mediator for each filter,
/// against the same page read straight from clip_custody by primary key (the floor), and against
/// the old way of answering "this camera's clips" (every row read, then filtered).
/// </summary>
internal static class SearchBench
{
    public static async Task RunAsync(int clips, int rounds)
    {
        var kept = Environment.GetEnvironmentVariable("EV_BENCH_SEARCH_DIR");
        var root = kept ?? Path.Combine(Path.GetTempPath(), "ev-bench-search-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var fresh = !File.Exists(Path.Combine(root, "catalog.db"));
            var clock = new SettableClock { Now = Instant.FromUtc(2026, 3, 1, 0, 0) };
            using var vault = fresh ? Vault.Create(root, clock, new VaultOptions { CheckpointEvery = int.MaxValue }) : Vault.Open(root, clock, new VaultOptions { CheckpointEvery = int.MaxValue });
            var start = Instant.FromUtc(2026, 1, 5, 0, 0);
            if (fresh)
            {
                const int Batch = 5000;
                for (var done = 0; done < clips; done += Batch)
                {
                    var batch = new List<NewEntry>(Batch);
                    for (var i = done; i < Math.Min(clips, done + Batch); i++)
                    {
                        var device = i % 2000;
                        var sha = Sha256Digest.Of(BitConverter.GetBytes((long)i)).ToHex();
                        var facts = new ClipFacts { FileName = $"D{device:D6}_{i}.MP4", DeviceSerial = $"D{device:D6}", OfficerId = $"{100000 + device % 700}", RecordedStart = InstantPattern.ExtendedIso.Format(start + Duration.FromSeconds(i * 30L)) };
                        batch.Add(new NewEntry(EntryTypes.ClipIngested, "bench", [Subjects.Clip(Sha256Digest.ParseHex(sha)), Subjects.Device(facts.DeviceSerial)], "bench", PayloadJson.Serialize(new ClipIngestedPayload { Sha256 = sha, Size = 1, Clip = facts })));
                    }

                    vault.Ledger.Append(batch, vault.Sealer);
                }

                Console.WriteLine($"set-up: {clips:N0} clips in {stopwatch.Elapsed.TotalSeconds:F1} s");
            }

            using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
            var mediator = services.GetRequiredService<IMediator>();
            var random = new Random(21);
            var size = vault.Ledger.Size;
            using var reading = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(root, "catalog.db")};Mode=ReadOnly;Pooling=False");
            reading.Open();
            using var page = reading.CreateCommand();
            page.CommandText = "SELECT c.idx, c.sha256, c.file_name, c.device_serial, c.officer_id, c.flags FROM clip_custody c WHERE c.idx > $after ORDER BY c.idx LIMIT 100";
            var after = page.Parameters.Add("$after", Microsoft.Data.Sqlite.SqliteType.Integer);
            var floor = Measure(rounds, () =>
            {
                after.Value = (long)random.Next((int)Math.Max(1, size - 200));
                using var reader = page.ExecuteReader();
                var n = 0;
                while (reader.Read())
                {
                    n++;
                }

                return n;
            });
            Console.WriteLine($"floor   page of 100 by primary key, no logic:        median {floor.Median:F2} ms  p99 {floor.P99:F2} ms");
            var cases = new (string Name, Func<ClipSearch> Search)[]
            {
                ("officer", () => new ClipSearch(Officer: $"{100000 + random.Next(700)}", Limit: 100)),
                ("device", () => new ClipSearch(Device: $"D{random.Next(2000):D6}", Limit: 100)),
                ("device+after", () => new ClipSearch(Device: $"D{random.Next(2000):D6}", After: random.Next((int)(size / 2)), Limit: 100)),
                ("officer+time", () => new ClipSearch(Officer: $"{100000 + random.Next(700)}", From: start + Duration.FromDays(random.Next(100)), To: start + Duration.FromDays(120), Limit: 100)),
            };
            foreach (var (name, search) in cases)
            {
                var figure = Measure(rounds, () => mediator.Send(new ListClips(Search: search())).GetAwaiter().GetResult().Count);
                Console.WriteLine($"search  {name,-14} page of 100 through ListClips: median {figure.Median:F2} ms  p99 {figure.P99:F2} ms  ({figure.Median / floor.Median:F1}x the floor)");
            }

            var old = Measure(Math.Max(3, rounds / 50), () => vault.Clips.All().Count(c => c.DeviceSerial == $"D{random.Next(2000):D6}"));
            Console.WriteLine($"before  one camera's clips the old way (every row, then filtered): median {old.Median:F1} ms  ({old.Median / floor.Median:F0}x the floor)");
            await Task.CompletedTask;
        }
        finally
        {
            if (kept is null && Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
                File.Delete(root + ".signing-key"); // the vault's key, kept beside its folder
            }
        }
    }

    private static (double Median, double P99) Measure(int rounds, Func<int> run)
    {
        run();
        var times = new List<double>(rounds);
        for (var i = 0; i < rounds; i++)
        {
            var stopwatch = Stopwatch.StartNew();
            run();
            times.Add(stopwatch.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return (times[times.Count / 2], times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))]);
    }
}
