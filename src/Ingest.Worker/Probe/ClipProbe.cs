using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using FFMpegCore;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// Reads what a clip is without touching it: container, codecs, resolution, frame rate,
/// creation_time and stream start times through FFMpegCore's media analysis, and the video
/// timestamps for discontinuities and truncation, from one ffprobe run. One run, because ffprobe's
/// start-up dominates a short clip (a second run cost 1.5x the throughput of two workers on 1-second
/// clips; docs/benchmarks.md, "Probe"); its JSON is streamed (<see cref="ProbeOutput"/>) because
/// the packet list grows with the clip (FFMpegCore's own packet call holds it all: 480 MB for 30
/// minutes), and what remains is handed to <c>FFProbe.FromJson</c>. Originals are opened read-only
/// by ffprobe and never re-encoded.
/// </summary>
public static class ClipProbe
{
    /// <summary>A forward jump over this much between consecutive video packets is a discontinuity (R4).</summary>
    public const double ForwardJumpSeconds = 1.0;

    /// <summary>What ffprobe is asked for, before the file's path: format, streams and each packet's stream, decode time and length, as JSON.</summary>
    internal static readonly string[] ReportArguments = ["-v", "error", "-show_format", "-show_streams", "-show_entries", "packet=stream_index,dts_time,duration_time", "-of", "json"];

    public static async Task<ClipProbedPayload> ProbeAsync(string path, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(FFProbeBinary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[.. ReportArguments, path])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new ProbeFailedException("ffprobe could not be started");
        // The worker stopping mid-probe leaves no ffprobe behind.
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
        ProbeOutput output;
        try
        {
            output = await ProbeOutput.ReadAsync(process.StandardOutput.BaseStream, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new ProbeFailedException($"ffprobe's report could not be read: {e.Message}");
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var error = (await errors.ConfigureAwait(false)).Trim();
        if (process.ExitCode != 0)
        {
            throw new ProbeFailedException(error.Length > 0 ? Said(error.Split('\n'), path) : $"ffprobe exited with code {process.ExitCode}");
        }

        IMediaAnalysis analysis;
        try
        {
            analysis = FFProbe.FromJson(output.Report);
        }
        catch (Exception e) when (e is JsonException or FFMpegCore.Exceptions.FFProbeException or FFMpegCore.Exceptions.FFMpegException or FormatException or ArgumentException or InvalidOperationException or NullReferenceException)
        {
            throw new ProbeFailedException($"ffprobe's report could not be analysed: {e.Message}");
        }

        if (analysis.PrimaryVideoStream is not { } video)
        {
            throw new ProbeFailedException($"no video stream (container {analysis.Format?.FormatName})");
        }

        var audio = analysis.PrimaryAudioStream;
        var videoTrack = output.Tracks.GetValueOrDefault(video.Index);
        // Times from the report as ffprobe wrote them (seconds): the library's TimeSpans want -sexagesimal.
        var duration = Seconds(analysis.Raw.Format?.Duration);
        var videoStart = Seconds(analysis.Raw.Streams.FirstOrDefault(s => s.Index == video.Index)?.StartTime);
        return new ClipProbedPayload
        {
            Sha256 = sha256.ToHex(),
            ProbeDigest = Convert.ToHexStringLower(output.Digest),
            DurationSeconds = duration,
            Container = analysis.Format?.FormatName,
            VideoCodec = video.CodecName,
            AudioCodec = audio?.CodecName,
            Width = video.Width,
            Height = video.Height,
            FrameRate = double.IsFinite(video.AverageFrameRate) && video.AverageFrameRate > 0 ? Math.Round(video.AverageFrameRate, 3) : null,
            CreationTime = analysis.Format?.Tags?.GetValueOrDefault("creation_time"),
            VideoStartSeconds = videoStart,
            AudioStartSeconds = audio is null ? null : Seconds(analysis.Raw.Streams.FirstOrDefault(s => s.Index == audio.Index)?.StartTime),
            Discontinuities = videoTrack?.Jumps ?? [],
            Truncated = Truncation(path, duration, videoStart, videoTrack),
        };
    }

    /// <summary>ffprobe's error lines as one line, without the store's path or the demuxer's memory address.</summary>
    private static string Said(IEnumerable<string> lines, string path) => string.Join("; ", lines
        .Select(l => System.Text.RegularExpressions.Regex.Replace(Unlocated(l.Trim(), path), @" @ 0x[0-9a-f]+\]", "]"))
        .Where(l => l.Length > 0)
        .Distinct(StringComparer.Ordinal));

    private static double? Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? Math.Round(value, 6) : null;

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

}

/// <summary>ffprobe could not read the clip; the message is ffprobe's error.</summary>
public sealed class ProbeFailedException(string message) : Exception(message);
