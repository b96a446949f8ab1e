using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Ledger;
using FFMpegCore;
using FFMpegCore.Exceptions;

namespace EvidenceVault.Worker.Probe;

/// <summary>
/// Reads what a clip is without touching it: container, codecs, resolution, frame rate,
/// creation_time and stream start times through FFMpegCore, and video timestamp discontinuities by
/// streaming ffprobe's packet list line by line (FFMpegCore's packet call loads every packet and
/// returns sexagesimal strings; a 2-hour clip must not cost hundreds of MB). Originals are opened
/// read-only and never re-encoded.
/// </summary>
public static class ClipProbe
{
    /// <summary>A forward jump over this much between consecutive video packets is a discontinuity (R4).</summary>
    public const double ForwardJumpSeconds = 1.0;

    public static async Task<ClipProbedPayload> ProbeAsync(string path, Sha256Digest sha256, CancellationToken cancellationToken)
    {
        IMediaAnalysis analysis;
        try
        {
            analysis = await FFProbe.AnalyseAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FFMpegException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            throw new ProbeFailedException(FirstLine(e.Message));
        }

        if (analysis.PrimaryVideoStream is null)
        {
            throw new ProbeFailedException($"no video stream (container {analysis.Format.FormatName})");
        }

        var video = analysis.PrimaryVideoStream;
        var audio = analysis.PrimaryAudioStream;
        return new ClipProbedPayload
        {
            Sha256 = sha256.ToHex(),
            ProbeDigest = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(analysis.Json ?? string.Empty))),
            DurationSeconds = Math.Round(analysis.Duration.TotalSeconds, 6),
            Container = analysis.Format.FormatName,
            VideoCodec = video.CodecName,
            AudioCodec = audio?.CodecName,
            Width = video.Width,
            Height = video.Height,
            FrameRate = Math.Round(video.AverageFrameRate, 3),
            CreationTime = analysis.Format.Tags is { } tags && tags.TryGetValue("creation_time", out var created) ? created : null,
            VideoStartSeconds = video.StartTime.TotalSeconds,
            AudioStartSeconds = audio?.StartTime.TotalSeconds,
            Discontinuities = await DiscontinuitiesAsync(path, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>Video packets' decode timestamps, streamed: a jump forward over 1 s or any step back.</summary>
    public static async Task<IReadOnlyList<TimestampJump>> DiscontinuitiesAsync(string path, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(FFProbeBinary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=dts_time", "-of", "csv=p=0", path })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new ProbeFailedException("ffprobe could not be started");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var jumps = new List<TimestampJump>();
        double? previous = null;
        while (await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (!double.TryParse(line.Trim().TrimEnd(','), NumberStyles.Float, CultureInfo.InvariantCulture, out var dts))
            {
                continue; // packets without a decode timestamp
            }

            if (previous is { } before && (dts - before > ForwardJumpSeconds || dts < before))
            {
                jumps.Add(new TimestampJump(Math.Round(before, 6), Math.Round(dts - before, 6)));
            }

            previous = dts;
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await errors.ConfigureAwait(false);
        return jumps;
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
