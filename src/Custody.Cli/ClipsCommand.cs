using System.Text.Json;
using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody clips</c>: every clip in custody with who recorded it, when, and what a clerk should look at.</summary>
internal static class ClipsCommand
{
    public static int Run(string[] args)
    {
        var arguments = Arguments.Parse(args, ["data"], ["json"]);
        using var vault = Output.OpenVault(arguments);
        var clips = vault.Clips.All();
        var flagged = 0;
        foreach (var clip in clips)
        {
            var probeJson = vault.Clips.FactsOf("clip_probe", clip.Sha256);
            var probe = probeJson is null ? null : JsonSerializer.Deserialize<Ledger.ClipProbedPayload>(probeJson, Ledger.PayloadJson.Options);
            var flags = clip.Flags.ToList();
            if (probe?.Error is not null)
            {
                flags.Add("probe-failed");
            }

            if (probe?.Discontinuities.Count > 0)
            {
                flags.Add("timestamp-discontinuity");
            }

            if (probe?.Truncated is not null)
            {
                flags.Add("truncated");
            }

            flagged += flags.Count > 0 ? 1 : 0;

            if (arguments.Has("json"))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    ledgerIndex = clip.LedgerIndex,
                    sha256 = clip.Sha256.ToHex(),
                    size = clip.Size,
                    fileName = clip.FileName,
                    deviceSerial = clip.DeviceSerial,
                    officerId = clip.OfficerId,
                    station = clip.Station,
                    recordedStart = clip.RecordedStart,
                    important = clip.Important,
                    flags,
                    ingestedAt = Output.Utc(clip.IngestedAt),
                    probe = probe is null ? (object?)null : new
                    {
                        status = probe.Error is null ? "probed" : "failed",
                        durationSeconds = probe.DurationSeconds,
                        container = probe.Container,
                        videoCodec = probe.VideoCodec,
                        audioCodec = probe.AudioCodec,
                        width = probe.Width,
                        height = probe.Height,
                        frameRate = probe.FrameRate,
                        creationTime = probe.CreationTime,
                        discontinuities = probe.Discontinuities,
                        truncated = probe.Truncated,
                        error = probe.Error,
                    },
                    cases = vault.Clips.CasesOf(clip.Sha256),
                }, Output.JsonLine));
            }
            else
            {
                var shown = flags.Count > 0 ? "  ! " + string.Join(", ", flags) : string.Empty;
                if (probe?.Truncated is { } cut)
                {
                    shown += FormattableString.Invariant($" ({cut.MissingSeconds:F1} s of {probe.DurationSeconds:F1} s and {cut.MissingBytes:N0} bytes missing: the file was cut short)");
                }

                var media = probe switch
                {
                    null => "not probed yet",
                    { Error: not null } => "unreadable",
                    _ => $"{probe.DurationSeconds,7:F1} s {probe.VideoCodec}/{probe.AudioCodec ?? "-"} {probe.Width}x{probe.Height}",
                };
                Console.WriteLine(Output.Printable($"{clip.DeviceSerial ?? "-",-8} {clip.OfficerId ?? "-",-7} {clip.RecordedStart ?? "(start unknown)",-21} {clip.Size,12:N0}  {clip.Sha256.ToHex()[..12]}  {media,-26} {clip.FileName}{(clip.Important ? "  [重点]" : string.Empty)}{shown}"));
            }
        }

        if (!arguments.Has("json"))
        {
            Console.WriteLine($"{clips.Count} custody facts, {clips.Select(c => c.Sha256).Distinct().Count()} distinct originals, {flagged} flagged for the clerk.");
        }

        return 0;
    }
}
