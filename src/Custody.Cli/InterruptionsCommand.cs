using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Interruptions;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody interruptions</c>: every gap in a device's recording that needs an explanation (R3,
/// R4), with whether the officer explained it by voice on resuming and whether a signed written
/// explanation is attached; also overlapping clips (clock fault or inserted footage).
/// </summary>
internal static class InterruptionsCommand
{
    public static int Run(Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        var rows = InterruptionReport.Build(vault, vault.Policy.InterruptionPolicy());
        foreach (var row in rows)
        {
            var gap = row.Gap;
            if (arguments.Has("json"))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    kind = gap.Kind == GapKind.Interruption ? "interruption" : "overlap",
                    deviceSerial = gap.Device,
                    officerId = gap.Officer,
                    gapStart = Output.Utc(gap.GapStart),
                    gapEnd = Output.Utc(gap.GapEnd),
                    gapSeconds = Math.Round(gap.Seconds, 3),
                    previousClipSha256 = gap.Previous.ToHex(),
                    resumedClipSha256 = gap.Resumed.ToHex(),
                    spokenExplanation = row.Spoken,
                    speechLevelSpreadDb = row.Speech?.LevelSpreadDb,
                    spokenReviewedBy = row.SpokenReview?.Reviewer,
                    spokenHeard = row.SpokenReview?.Heard,
                    explained = row.Explained,
                    writtenExplanation = row.Written,
                    caseNumber = row.CaseNumber,
                }, Output.JsonLine));
            }
            else
            {
                var what = gap.Kind == GapKind.Interruption ? "INTERRUPTION" : "OVERLAP     ";
                Console.WriteLine($"{what} {gap.Device} officer {gap.Officer ?? "-"}  {Output.Utc(gap.GapStart)} → {Output.Utc(gap.GapEnd)} ({gap.Seconds:F1} s)  " +
                    $"spoken: {row.Spoken}{(row.Speech is { } s ? $" ({s.LevelSpreadDb:F1} dB spread)" : string.Empty)}" +
                    (row.SpokenReview is { } review ? $" [{(review.Heard ? "heard" : "not heard")} by {review.Reviewer}]" : string.Empty) + $", written: {row.Written}" +
                    (row.CaseNumber is null ? string.Empty : $", case {row.CaseNumber}") +
                    $"\n             previous {gap.Previous.ToHex()[..16]}…  resumed {gap.Resumed.ToHex()[..16]}…");
            }
        }

        if (!arguments.Has("json"))
        {
            var open = rows.Count(r => r.Gap.Kind == GapKind.Interruption && !r.Explained);
            Console.WriteLine($"{rows.Count(r => r.Gap.Kind == GapKind.Interruption)} interruptions, {rows.Count(r => r.Gap.Kind == GapKind.Overlap)} overlaps; {open} without a confirmed explanation (a clerk confirms speech with custody case review-speech).");
        }

        return 0;
    }
}
