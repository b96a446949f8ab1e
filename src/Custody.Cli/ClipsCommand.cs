using System.Text.Json;
using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Hosting;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary><c>custody clips</c>: every clip in custody with who recorded it, when, and what a clerk should look at.</summary>
internal static class ClipsCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var search = new ClipSearch(
            arguments.Value("device"), arguments.Value("officer"),
            arguments.Value("from") is { } from ? DeadlinesCommand.Time(from) : null,
            arguments.Value("to") is { } to ? DeadlinesCommand.Time(to) : null,
            arguments.Value("case"), arguments.Value("party"), arguments.Value("cause"),
            arguments.Long("after"), arguments.Long("limit") is { } limit ? (int)Math.Min(limit, int.MaxValue) : null, arguments.Value("unit"));
        var clips = services.GetRequiredService<IMediator>().Send(new ListClips(Search: search)).GetAwaiter().GetResult();
        foreach (var clip in clips)
        {
            if (arguments.Has("json"))
            {
                Console.WriteLine(JsonSerializer.Serialize(clip, Output.JsonLine));
                continue;
            }

            var probe = clip.Probe;
            var shown = clip.Flags.Count > 0 ? "  ! " + string.Join(", ", clip.Flags) : string.Empty;
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
            Console.WriteLine(Output.Printable($"{clip.DeviceSerial ?? "-",-8} {clip.OfficerId ?? "-",-7} {clip.RecordedStart ?? "(start unknown)",-21} {clip.Size,12:N0}  {clip.Sha256[..12]}  {media,-26} {clip.FileName}{(clip.Important ? "  [重点]" : string.Empty)}{shown}"));
        }

        if (!arguments.Has("json"))
        {
            Console.WriteLine($"{clips.Count} custody facts, {clips.Select(c => c.Sha256).Distinct().Count()} distinct originals, {clips.Count(c => c.Flags.Count > 0)} flagged for the clerk.");
        }

        return 0;
    }
}
