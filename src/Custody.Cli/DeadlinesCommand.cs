using System.Text.Json;
using EvidenceVault.Custody.Deadlines;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Policy;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody deadlines</c> (findings against the active profile) and <c>custody stats</c> (R17:
/// on-time rate, interruptions, explanations missing per officer, unit and device), as of --at.
/// </summary>
internal static class DeadlinesCommand
{
    public static int Run(Arguments arguments, bool statistics)
    {
        using var vault = Output.OpenVault(arguments);
        var at = arguments.Value("at") is { } text ? Time(text) : vault.Clock.GetCurrentInstant();
        // As of means as of: only the entries written up to --at count (a later dock is not yet late, nor a later explanation given).
        var report = DeadlineMonitor.AsOf(vault, at, WorkingCalendar.Default);
        var basis = new
        {
            ledgerEntries = report.LedgerEntries,
            ledgerSize = report.LedgerSize,
            lastEntryAt = report.LastEntryTime is { } last ? Output.Utc(last) : null,
            historical = report.Historical,
        };
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(statistics
                ? new { profile = report.ProfileId, at = Output.Utc(at), basis, statistics = report.Statistics.Select(Stat) } as object
                : new { profile = report.ProfileId, at = Output.Utc(at), basis, findings = report.Findings.Select(Json) }, Output.Json));
            return 0;
        }

        if (statistics)
        {
            Console.WriteLine($"statistics as of {Output.Utc(at)} (profile {report.ProfileId}, R17)");
            Console.WriteLine(Basis(report));
            Console.WriteLine($"{"kind",-8} {"key",-14} {"clips",6} {"on time",8} {"late",5} {"rate",7} {"interr.",8} {"unexplained",12}");
            foreach (var s in report.Statistics)
            {
                Console.WriteLine($"{s.Kind,-8} {s.Key,-14} {s.Clips,6} {s.OnTime,8} {s.Late,5} {(s.OnTimeRate is { } r ? $"{r:P0}" : "-"),7} {s.Interruptions,8} {s.ExplanationsMissing,12}");
            }

            return 0;
        }

        Console.WriteLine($"deadlines as of {Output.Utc(at)} (profile {report.ProfileId}): {report.Findings.Count} findings");
        Console.WriteLine(Basis(report));
        foreach (var f in report.Findings)
        {
            var when = f.LateBy is { } late ? $"LATE by {Span(late)}" : f.DueIn is { } left ? $"due in {Span(left)}" : "open";
            Console.WriteLine($"{f.Rule,-4} {when,-22} {f.Subject}  {f.Message}  [{f.Article}]" + (f.DueAt is { } due ? $"  due {Output.Utc(due)}" : string.Empty));
        }

        return 0;
    }

    internal static Instant Time(string text)
    {
        var parsed = OffsetDateTimePattern.ExtendedIso.Parse(text);
        if (parsed.Success)
        {
            return parsed.Value.ToInstant();
        }

        var utc = InstantPattern.ExtendedIso.Parse(text);
        return utc.Success ? utc.Value : throw new UsageException($"'{text}' is not an ISO 8601 time with an offset (e.g. 2026-11-23T09:00:00+08:00).");
    }

    private static object Json(Finding f) => new
    {
        rule = f.Rule,
        article = f.Article,
        subject = f.Subject,
        dueAt = f.DueAt is { } due ? Output.Utc(due) : null,
        lateBy = f.LateBy is { } late ? Iso(late) : null,
        lateBySeconds = f.LateBy?.TotalSeconds,
        dueIn = f.DueIn is { } left ? Iso(left) : null,
        dueInSeconds = f.DueIn?.TotalSeconds,
        message = f.Message,
        officerId = f.OfficerId,
        unitId = f.UnitId,
        deviceSerial = f.DeviceSerial,
    };

    private static object Stat(Statistic s) => new
    {
        kind = s.Kind,
        key = s.Key,
        clips = s.Clips,
        onTime = s.OnTime,
        late = s.Late,
        onTimeRate = s.OnTimeRate,
        interruptions = s.Interruptions,
        explanationsMissing = s.ExplanationsMissing,
    };

    private static string Basis(DeadlineReport report) => report.Historical
        ? $"from the ledger as it stood then: entries 0..{report.LedgerEntries - 1} of {report.LedgerSize}" +
          (report.LastEntryTime is { } last ? $" (the last written {Output.Utc(last)})" : " (none had been written)") + "; later entries are left out"
        : $"from all {report.LedgerSize} ledger entries";

    private static string Iso(Duration duration) => DurationPattern.Roundtrip.Format(duration);

    private static string Span(Duration duration) => duration.TotalHours >= 48 ? $"{duration.TotalDays:F1} days" : $"{duration.TotalHours:F1} h";
}
