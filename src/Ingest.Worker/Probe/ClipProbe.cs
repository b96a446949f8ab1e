using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using FFMpegCore;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// Reads what a clip is without touching it: container, codecs, resolution, frame rate,
/// creation_time, stream start times and video timestamp discontinuities, in one ffprobe run whose
/// output is streamed line by line. One run, because ffprobe's start-up dominates the cost of a short
/// clip (a second run for the packet list doubled it; docs/benchmarks.md); streamed, because a
/// 2-hour clip has hundreds of thousands of packets (FFMpegCore's packet call loads them all and took
/// 480 MB on 30 minutes). FFMpegCore's options locate the binaries. Originals are opened read-only
/// by ffprobe and never re-encoded.
/// </summary>
public static class ClipProbe
{
    /// <summary>A forward jump over this much between consecutive video packets is a discontinuity (R4).</summary>
    public const double ForwardJumpSeconds = 1.0;

    public static async Task<ClipProbedPayload> ProbeAsync(string path, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(FFProbeBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-v", "error", "-show_format", "-show_streams", "-show_entries", "packet=stream_index,dts_time,duration_time", "-of", "compact", path })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new ProbeFailedException("ffprobe could not be started");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var packets = new Dictionary<int, PacketTrack>();
        var streams = new List<Dictionary<string, string>>();
        Dictionary<string, string>? format = null;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            digest.AppendData(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
            if (line.StartsWith("packet|", StringComparison.Ordinal))
            {
                var fields = Fields(line);
                if (fields.TryGetValue("stream_index", out var index) && int.TryParse(index, CultureInfo.InvariantCulture, out var stream) &&
                    fields.TryGetValue("dts_time", out var dtsText) && double.TryParse(dtsText, NumberStyles.Float, CultureInfo.InvariantCulture, out var dts))
                {
                    if (!packets.TryGetValue(stream, out var track))
                    {
                        packets[stream] = track = new PacketTrack();
                    }

                    track.Add(dts, fields.TryGetValue("duration_time", out var durationText) && double.TryParse(durationText, NumberStyles.Float, CultureInfo.InvariantCulture, out var packetDuration) ? packetDuration : 0);
                }
            }
            else if (line.StartsWith("stream|", StringComparison.Ordinal))
            {
                streams.Add(Fields(line));
            }
            else if (line.StartsWith("format|", StringComparison.Ordinal))
            {
                format = Fields(line);
            }
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var error = (await errors.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0 || format is null)
        {
            throw new ProbeFailedException(FirstLine(error.Length > 0 ? error : $"ffprobe exited with code {process.ExitCode}"));
        }

        var video = streams.FirstOrDefault(s => s.GetValueOrDefault("codec_type") == "video")
            ?? throw new ProbeFailedException($"no video stream (container {format.GetValueOrDefault("format_name")})");
        var audio = streams.FirstOrDefault(s => s.GetValueOrDefault("codec_type") == "audio");
        var videoIndex = int.Parse(video["index"], CultureInfo.InvariantCulture);
        var videoTrack = packets.GetValueOrDefault(videoIndex);
        var duration = Number(format, "duration");
        return new ClipProbedPayload
        {
            Sha256 = sha256.ToHex(),
            ProbeDigest = Convert.ToHexStringLower(digest.GetHashAndReset()),
            DurationSeconds = Number(format, "duration"),
            Container = format.GetValueOrDefault("format_name"),
            VideoCodec = video.GetValueOrDefault("codec_name"),
            AudioCodec = audio?.GetValueOrDefault("codec_name"),
            Width = (int?)Number(video, "width"),
            Height = (int?)Number(video, "height"),
            FrameRate = Rate(video.GetValueOrDefault("avg_frame_rate")),
            CreationTime = format.GetValueOrDefault("tag:creation_time"),
            VideoStartSeconds = Number(video, "start_time"),
            AudioStartSeconds = audio is null ? null : Number(audio, "start_time"),
            Discontinuities = videoTrack?.Jumps ?? [],
            Truncated = Truncation(path, duration, Number(video, "start_time"), videoTrack),
        };
    }

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

    private static double? Number(Dictionary<string, string> fields, string key) =>
        fields.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? Math.Round(value, 6) : null;

    private static double? Rate(string? fraction)
    {
        var parts = fraction?.Split('/');
        return parts is [var n, var d] && double.TryParse(n, CultureInfo.InvariantCulture, out var num) && double.TryParse(d, CultureInfo.InvariantCulture, out var den) && den > 0
            ? Math.Round(num / den, 3)
            : null;
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
