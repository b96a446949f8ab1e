using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Interruptions;
using NodaTime;

namespace EvidenceVault.Bench;

/// <summary>Interruption analysis over synthetic clip records, against sorting the same records (its unavoidable part).</summary>
internal static class InterruptionBench
{
    public static void Run(int clips)
    {
        var random = new Random(4);
        var records = new ClipTiming[clips];
        var devices = Enumerable.Range(0, 1000).Select(i => $"D{i:D6}").ToArray();
        var clock = devices.ToDictionary(d => d, _ => Instant.FromUtc(2026, 1, 1, 0, 0));
        var digest = new byte[32];
        for (var i = 0; i < clips; i++)
        {
            var device = devices[random.Next(devices.Length)];
            // Mostly back-to-back segments, some short interruptions, some new sessions.
            var gap = random.Next(10) switch { < 7 => 0, < 9 => random.Next(5, 1200), _ => random.Next(3600, 20000) };
            var length = Duration.FromSeconds(random.Next(30, 900));
            var start = clock[device] + Duration.FromSeconds(gap);
            clock[device] = start + length;
            random.NextBytes(digest);
            records[i] = new ClipTiming(new Sha256Digest(digest), device, "123456", start, length);
        }

        // Shuffle: the catalog returns them in no particular order.
        random.Shuffle(records);
        var sort = new double[5];
        var analyse = new double[5];
        var found = 0;
        for (var run = 0; run < 5; run++)
        {
            var copy = (ClipTiming[])records.Clone();
            var stopwatch = Stopwatch.StartNew();
            Array.Sort(copy, static (a, b) => string.CompareOrdinal(a.Device, b.Device) is var d and not 0 ? d : a.Start.CompareTo(b.Start));
            sort[run] = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            found = InterruptionAnalysis.Find(records, InterruptionPolicy.Default, []).Count;
            analyse[run] = stopwatch.Elapsed.TotalSeconds;
        }

        Array.Sort(sort);
        Array.Sort(analyse);
        Console.WriteLine($"interruption analysis over {clips:N0} clip records of 1,000 devices (median of 5), {found:N0} interruptions found:");
        Console.WriteLine($"  sorting the records by device and start (baseline): {sort[2],6:F2} s");
        Console.WriteLine($"  interruption analysis:                             {analyse[2],6:F2} s  ({analyse[2] / sort[2]:F2}x baseline; goal <= 2 s)");
    }
}
