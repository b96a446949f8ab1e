using System.Diagnostics;
using EvidenceVault.Custody;
using EvidenceVault.Worker.Probe;

namespace EvidenceVault.Bench;

/// <summary>
/// The worker's probe on clips of a body camera's real lengths (5 and 30 minutes, 30 fps, made with
/// ffmpeg once and kept in /tmp), against one ffprobe run that lists format, streams and packets
/// together (the probe before it used FFMpegCore's analysis), and the analysis alone (its share).
/// </summary>
internal static class ProbeBench
{
    public static async Task RunAsync(int rounds)
    {
        foreach (var minutes in new[] { 5, 30 })
        {
            var clip = Clip(minutes);
            var digest = new Sha256Digest(new byte[32]);
            var single = new List<double>();
            var current = new List<double>();
            var analysis = new List<double>();
            await ClipProbe.ProbeAsync(clip, digest, CancellationToken.None); // warm the page cache and the JIT
            for (var round = 0; round < rounds; round++)
            {
                // Alternate, so a noisy neighbour hits both alike.
                single.Add(await TimeAsync(() => OneRunAsync(clip)));
                current.Add(await TimeAsync(() => ClipProbe.ProbeAsync(clip, digest, CancellationToken.None)));
                analysis.Add(await TimeAsync(() => FFMpegCore.FFProbe.AnalyseAsync(clip)));
            }

            var baseline = Median(single);
            Console.WriteLine(FormattableString.Invariant(
                $"probe {minutes,2} min ({new FileInfo(clip).Length / 1e6:F0} MB): one ffprobe run {baseline:F0} ms; ClipProbe (analysis + packet scan) {Median(current):F0} ms = {Median(current) / baseline:F2}x; analysis alone {Median(analysis):F0} ms = {Median(analysis) / baseline:F2}x (medians of {rounds})"));
        }
    }

    private static async Task<double> TimeAsync(Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>Format, streams and every packet from one ffprobe, read line by line.</summary>
    private static async Task OneRunAsync(string clip)
    {
        var start = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-v", "error", "-show_format", "-show_streams", "-show_entries", "packet=stream_index,dts_time,duration_time", "-of", "compact", clip })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var lines = 0;
        while (await process.StandardOutput.ReadLineAsync() is not null)
        {
            lines++;
        }

        await process.WaitForExitAsync();
    }

    private static string Clip(int minutes)
    {
        var path = Path.Combine(Path.GetTempPath(), "ev-probe-bench", $"{minutes}min.mp4");
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var seconds = (minutes * 60).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000",
            "-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", "-b:a", "32k", path + ".part.mp4"]))!;
        ffmpeg.WaitForExit();
        File.Move(path + ".part.mp4", path);
        return path;
    }
}
