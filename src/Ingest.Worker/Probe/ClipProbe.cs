using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using FFMpegCore;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// Reads what a clip is without touching it: container, codecs, resolution, frame rate,
/// creation_time and stream start times from FFMpegCore's media analysis (<c>FFProbe.AnalyseAsync</c>),
/// then the video timestamps for discontinuities and truncation from a second ffprobe run whose
/// packet list is streamed line by line. The packets are not read through FFMpegCore because its
/// packet call loads them all (480 MB for 30 minutes); on clips of realistic length the header read
/// is cheap beside the scan (docs/benchmarks.md, "Probe"). Originals are opened read-only by ffprobe
/// and never re-encoded.
/// </summary>
public static class ClipProbe
{
    /// <summary>A forward jump over this much between consecutive video packets is a discontinuity (R4).</summary>
    public const double ForwardJumpSeconds = 1.0;

    public static async Task<ClipProbedPayload> ProbeAsync(string path, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        // Both runs at once: ffprobe's start-up is most of a short clip's cost, so the second run
        // costs little wall time beside the first (docs/benchmarks.md, "Probe").
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scanning = ScanVideoPacketsAsync(path, stop.Token);
        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FFMpegCore.Exceptions.FFProbeException or FFMpegCore.Exceptions.FFMpegException or System.Text.Json.JsonException or FormatException or ArgumentException or InvalidOperationException)
        {
            // ffprobe's own words ("moov atom not found; Invalid data found when processing input"), not the library's wrapper.
            var errors = (e as FFMpegCore.Exceptions.FFProbeProcessException)?.StandardError ?? [];
            await AbandonAsync(scanning, stop).ConfigureAwait(false);
            throw new ProbeFailedException(errors.Count > 0 ? Said(errors, path) : Unlocated(FirstLine(e.Message), path));
        }

        if (analysis.PrimaryVideoStream is not { } video)
        {
            await AbandonAsync(scanning, stop).ConfigureAwait(false);
            throw new ProbeFailedException($"no video stream (container {analysis.Format.FormatName})");
        }

        var audio = analysis.PrimaryAudioStream;
        var scan = await scanning.ConfigureAwait(false);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        digest.AppendData(System.Text.Encoding.UTF8.GetBytes(analysis.Json));
        digest.AppendData(scan.Digest);
        var duration = Seconds(analysis.Format.Duration);
        var videoStart = Seconds(video.StartTime);
        return new ClipProbedPayload
        {
            Sha256 = sha256.ToHex(),
            ProbeDigest = Convert.ToHexStringLower(digest.GetHashAndReset()),
            DurationSeconds = duration,
            Container = analysis.Format.FormatName,
            VideoCodec = video.CodecName,
            AudioCodec = audio?.CodecName,
            Width = video.Width,
            Height = video.Height,
            FrameRate = double.IsFinite(video.AverageFrameRate) && video.AverageFrameRate > 0 ? Math.Round(video.AverageFrameRate, 3) : null,
            CreationTime = analysis.Format.Tags?.GetValueOrDefault("creation_time"),
            VideoStartSeconds = videoStart,
            AudioStartSeconds = audio is null ? null : Seconds(audio.StartTime),
            Discontinuities = scan.Track.Jumps,
            Truncated = Truncation(path, duration, videoStart, scan.Track),
        };
    }

    /// <summary>
    /// The video stream's decode timestamps, streamed from ffprobe one packet a line so memory stays
    /// bounded however long the clip; with the SHA-256 of ffprobe's output.
    /// </summary>
    private static async Task<(PacketTrack Track, byte[] Digest)> ScanVideoPacketsAsync(string path, CancellationToken cancellationToken)
    {
        // v:0 is the first video stream, the one FFMpegCore's analysis calls primary.
        var start = new ProcessStartInfo(FFProbeBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=stream_index,dts_time,duration_time", "-of", "compact", path })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new ProbeFailedException("ffprobe could not be started");
        // Stopped (the worker shuts down, or the analysis already failed): no ffprobe is left behind.
        using var kill = cancellationToken.Register(() =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        });
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var track = new PacketTrack();
        while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            digest.AppendData(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            if (!line.StartsWith("packet|", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = Fields(line);
            if (fields.TryGetValue("dts_time", out var dtsText) && double.TryParse(dtsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var dts))
            {
                track.Add(dts, fields.TryGetValue("duration_time", out var durationText) && double.TryParse(durationText, NumberStyles.Float, CultureInfo.InvariantCulture, out var packetDuration) ? packetDuration : 0);
            }
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var error = (await errors.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
        {
            throw new ProbeFailedException(error.Length > 0 ? Said(error.Split('\n'), path) : $"ffprobe exited with code {process.ExitCode}");
        }

        return (track, digest.GetHashAndReset());
    }

    /// <summary>ffprobe's error lines as one line, without the store's path or the demuxer's memory address.</summary>
    private static string Said(IEnumerable<string> lines, string path) => string.Join("; ", lines
        .Select(l => System.Text.RegularExpressions.Regex.Replace(Unlocated(l.Trim(), path), @" @ 0x[0-9a-f]+\]", "]"))
        .Where(l => l.Length > 0)
        .Distinct(StringComparer.Ordinal));

    /// <summary>The analysis already failed: stop the scan and wait for its ffprobe to go, whatever it says.</summary>
    private static async Task AbandonAsync(Task scanning, CancellationTokenSource stop)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await scanning.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ProbeFailedException)
        {
        }
    }

    private static double Seconds(TimeSpan span) => Math.Round(span.TotalSeconds, 6);

    /// <summary>ffprobe names the file it read, which is the store's path: the message names the camera's file instead (its caller adds it).</summary>
    private static string Unlocated(string message, string path) => message.Replace(path + ": ", string.Empty, StringComparison.Ordinal).Replace(path, "the original", StringComparison.Ordinal);

    /// <summary>A missing part of the media shorter than this is a rounding of the last frame's length, not a cut.</summary>
    public const double TruncationToleranceSeconds = 0.5;

    /// <summary>
    /// A clip cut short after its index was written (fast-start or fragmented MP4): ffprobe reports the
    /// index's full duration, but the video packets stop where the file does, and the last box declares
    /// bytes that are not there. Either is a cut; the media really present is what the timeline uses (R4).
    /// </summary>
    private static ClipTruncation? Truncation(string path, double? duration, double? videoStart, PacketTrack? video)
    {
        var missingBytes = Mp4Boxes.MissingBytes(path) ?? 0;
        var media = video?.End is { } end ? Math.Round(end - (videoStart ?? 0), 6) : 0;
        var missingSeconds = duration is { } full ? Math.Max(0, Math.Round(full - media, 6)) : 0;
        return missingBytes > 0 || missingSeconds > TruncationToleranceSeconds
            ? new ClipTruncation(missingBytes, missingSeconds, media)
            : null;
    }

    /// <summary>The fields of one compact-format line: key=value pairs split at unescaped '|'.</summary>
    private static Dictionary<string, string> Fields(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var current = new System.Text.StringBuilder();
        var escaped = false;
        void Flush()
        {
            var text = current.ToString();
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[text[..eq]] = text[(eq + 1)..];
            }

            current.Clear();
        }

        foreach (var c in line)
        {
            if (escaped)
            {
                current.Append(c);
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (c == '|')
            {
                Flush();
            }
            else
            {
                current.Append(c);
            }
        }

        Flush();
        return fields;
    }

    /// <summary>Consecutive decode timestamps of one stream, keeping only the jumps (memory stays bounded).</summary>
    private sealed class PacketTrack
    {
        private double? _previous;

        public List<TimestampJump> Jumps { get; } = [];

        /// <summary>Where the last packet read ends (decode time plus its duration): the media actually in the file.</summary>
        public double? End { get; private set; }

        public void Add(double dts, double duration)
        {
            End = Math.Max(End ?? double.MinValue, dts + duration);
            if (_previous is { } before && (dts - before > ForwardJumpSeconds || dts < before))
            {
                Jumps.Add(new TimestampJump(Math.Round(before, 6), Math.Round(dts - before, 6)));
            }

            _previous = dts;
        }
    }

    /// <summary>ffprobe as FFMpegCore finds it (GlobalFFOptions.BinaryFolder, else PATH).</summary>
    public static string FFProbeBinary
    {
        get
        {
            var folder = GlobalFFOptions.Current.BinaryFolder;
            return string.IsNullOrEmpty(folder) ? "ffprobe" : Path.Combine(folder, "ffprobe");
        }
    }

    /// <summary>A clear start-up error when ffprobe or ffmpeg is missing, instead of a failure on the first clip.</summary>
    public static void RequireTools()
    {
        foreach (var tool in new[] { FFProbeBinary, "ffmpeg" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(tool, "-version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
                process.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new Custody.VaultException($"{tool} was not found: the worker needs ffmpeg and ffprobe (Debian package ffmpeg) on PATH.");
            }
        }
    }

    private static string FirstLine(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? text;
}

/// <summary>ffprobe could not read the clip; the message is ffprobe's error.</summary>
public sealed class ProbeFailedException(string message) : Exception(message);
