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
        foreach (var clip in clips)
        {
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
                    flags = clip.Flags,
                    ingestedAt = Output.Utc(clip.IngestedAt),
                }, Output.JsonLine));
            }
            else
            {
                var flags = clip.Flags.Count > 0 ? "  ! " + string.Join(", ", clip.Flags) : string.Empty;
                Console.WriteLine($"{clip.DeviceSerial ?? "-",-8} {clip.OfficerId ?? "-",-7} {clip.RecordedStart ?? "(start unknown)",-21} {clip.Size,12:N0}  {clip.Sha256.ToHex()[..12]}  {clip.FileName}{(clip.Important ? "  [重点]" : string.Empty)}{flags}");
            }
        }

        if (!arguments.Has("json"))
        {
            Console.WriteLine($"{clips.Count} custody facts, {clips.Select(c => c.Sha256).Distinct().Count()} distinct originals, {clips.Count(c => c.Flags.Count > 0)} flagged for the clerk.");
        }

        return 0;
    }
}
