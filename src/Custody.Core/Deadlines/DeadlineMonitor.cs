using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Policy;
using NodaTime;

namespace EvidenceVault.Custody.Deadlines;

/// <summary>One thing the monitor holds against a clip, case, device, officer or record.</summary>
/// <param name="Rule">R1, R2, R3, R11, R15, R16.</param>
/// <param name="Article">The article of the active profile it comes from.</param>
/// <param name="Subject">clip:SHA, case:N, device:SERIAL, work-record:INDEX, action:INDEX.</param>
/// <param name="DueAt">When it was or is due; null when it cannot be computed (see Message).</param>
/// <param name="LateBy">How late, when past due.</param>
/// <param name="DueIn">How long is left, when not yet due but close.</param>
public sealed record Finding(
    string Rule,
    string Article,
    string Subject,
    Instant? DueAt,
    Duration? LateBy,
    Duration? DueIn,
    string Message,
    string? OfficerId = null,
    string? UnitId = null,
    string? DeviceSerial = null);

/// <summary>Per officer, unit or device (R17, 001 §28): how many clips were stored on time, interruptions, explanations missing.</summary>
public sealed record Statistic(string Kind, string Key, int Clips, int OnTime, int Late, int Interruptions, int ExplanationsMissing)
{
    public double? OnTimeRate => Clips == 0 ? null : Math.Round((double)OnTime / Clips, 4);
}

public sealed record DeadlineReport(string ProfileId, Instant At, IReadOnlyList<Finding> Findings, IReadOnlyList<Statistic> Statistics);

/// <summary>
/// Holds every clip, case, device and officer to the active profile's deadlines, as of a given time:
/// R1 late uploads (or 24 h after a declared return), R15 cameras not docked for too long, R2 case
/// files not archived in time (calendar or working days), R3 interruptions without a confirmed
/// explanation past their deadline, R16 emergency actions not approved in time, and R11 work records
/// awaiting review. Reads the derived tables in bulk: one pass per kind.
/// </summary>
public static class DeadlineMonitor
{
    /// <summary>How close a deadline must be to be reported as coming (dueIn).</summary>
    public static readonly Duration Warning = Duration.FromDays(3);

    public static DeadlineReport Scan(Vault vault, Instant at, WorkingCalendar calendar)
    {
        var profile = vault.Policy.ActiveProfile();
        var findings = new List<Finding>();

        // R1 over every custody fact, in two halves read and checked on two connections at once
        // (a scan of a million clips is bound by reading rows); the halves are merged in ledger order.
        var declarations = vault.Policy.Declarations().ToLookup(d => d.Officer, StringComparer.Ordinal);
        var middle = vault.Ledger.Size / 2;
        var second = Task.Run(() =>
        {
            using var side = vault.OpenSecondReader();
            return UploadPass.Run(new Catalog.ClipCatalog(side), middle, long.MaxValue, profile, declarations);
        });
        var first = UploadPass.Run(vault.Clips, 0, middle, profile, declarations);
        var pass = first.Merge(second.GetAwaiter().GetResult());
        findings.AddRange(pass.Findings);
        var stats = pass.Stats;
        Counter Stat(string kind, string? key) => key is null ? new Counter() : stats.TryGetValue((kind, key), out var c) ? c : stats[(kind, key)] = new Counter();
        var lastDock = pass.LastDock;
        var timings = pass.Timings;
        var ingestedAt = pass.IngestedAt;

        // R15: a camera not docked within MaxHoursBetweenDocks may hold clips nobody can see.
        var dockInterval = Duration.FromHours(profile.Devices.MaxHoursBetweenDocks);
        foreach (var (device, docked) in lastDock.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var due = docked + dockInterval;
            if (at > due)
            {
                findings.Add(new Finding("R15", profile.Devices.Cite, "device:" + device, due, at - due, null, $"last docked {Hours(at - docked)} ago", DeviceSerial: device));
            }
        }

        // R2: the case file within Archive.Days (calendar or working days) of the matter's end.
        if (profile.Archive is { } archive)
        {
            foreach (var (caseNumber, ended, archived) in vault.Policy.CaseStatuses())
            {
                if (ended is not { } end)
                {
                    continue;
                }

                Instant due;
                try
                {
                    due = calendar.Deadline(end, archive.Days, archive.WorkingDays);
                }
                catch (CalendarMissingException e)
                {
                    findings.Add(new Finding("R2", archive.Cite, "case:" + caseNumber, null, null, null, e.Message));
                    continue;
                }

                var done = archived ?? at;
                if (done > due)
                {
                    findings.Add(new Finding("R2", archive.Cite, "case:" + caseNumber, due, done - due, null,
                        archived is null ? "case file not archived" : "case file archived late"));
                }
                else if (archived is null && due - at <= Warning)
                {
                    findings.Add(new Finding("R2", archive.Cite, "case:" + caseNumber, due, null, due - at, "case file due in the archive soon"));
                }
            }
        }

        // R3: an interruption needs a confirmed spoken or a written explanation, at the latest
        // WrittenWithinHoursOfReturn after the officer docked the resumed recording (004 §17: within 24 h of returning).
        var within = Duration.FromHours(profile.Interruption.WrittenWithinHoursOfReturn);
        foreach (var row in InterruptionReport.Build(vault, profile.InterruptionPolicy, timings).Where(r => r.Gap.Kind == GapKind.Interruption))
        {
            var missing = !row.Explained;
            foreach (var counter in new[] { Stat("officer", row.Gap.Officer), Stat("device", row.Gap.Device) })
            {
                counter.Interruptions++;
                if (missing)
                {
                    counter.ExplanationsMissing++;
                }
            }

            if (!missing || !ingestedAt.TryGetValue(row.Gap.Resumed, out var returned))
            {
                continue;
            }

            var due = returned + within;
            if (at > due)
            {
                findings.Add(new Finding("R3", profile.Interruption.WrittenWithinCite, "clip:" + row.Gap.Resumed.ToHex(), due, at - due, null,
                    $"interruption of {row.Gap.Seconds:F0} s without a confirmed explanation (spoken: {row.Spoken}, written: {row.Written})", row.Gap.Officer, null, row.Gap.Device));
            }
            else if (due - at <= Warning)
            {
                findings.Add(new Finding("R3", profile.Interruption.WrittenWithinCite, "clip:" + row.Gap.Resumed.ToHex(), due, null, due - at,
                    "interruption awaiting its explanation", row.Gap.Officer, null, row.Gap.Device));
            }
        }

        // R16: an action started before approval is approved within EmergencyStart.ApprovalWithinHours.
        if (profile.EmergencyStart is { } emergency)
        {
            foreach (var (index, action, approved) in vault.Policy.EmergencyActions())
            {
                var due = PolicyState.Parse(action.Start) + Duration.FromHours(emergency.ApprovalWithinHours);
                var done = approved ?? at;
                if (done > due)
                {
                    findings.Add(new Finding("R16", emergency.Cite, $"action:{index}", due, done - due, null,
                        approved is null ? $"emergency action of case {action.CaseNumber} not approved" : $"emergency action of case {action.CaseNumber} approved late"));
                }
                else if (approved is null)
                {
                    findings.Add(new Finding("R16", emergency.Cite, $"action:{index}", due, null, due - at, $"emergency action of case {action.CaseNumber} awaiting approval"));
                }
            }
        }

        // R11: a work record explaining a missing recording waits for the head's review.
        foreach (var (index, officer, filed, reviewed) in vault.Policy.WorkRecords().Where(w => !w.Reviewed))
        {
            findings.Add(new Finding("R11", profile.WorkRecordReview?.Cite ?? "000 §9, 002 §8", $"work-record:{index}", null, null, null,
                $"work record filed {Hours(at - filed)} ago awaits the head's review", officer));
        }

        var statistics = stats.Select(s => new Statistic(s.Key.Item1, s.Key.Item2, s.Value.Clips, s.Value.Clips - s.Value.Late, s.Value.Late, s.Value.Interruptions, s.Value.ExplanationsMissing))
            .OrderBy(s => s.Kind, StringComparer.Ordinal).ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
        return new DeadlineReport(profile.Id, at, findings, statistics);
    }

    private static string Hours(Duration duration) => duration.TotalHours >= 48 ? $"{duration.TotalDays:F1} days" : $"{duration.TotalHours:F1} h";

    private sealed class Counter
    {
        public int Clips;
        public int Late;
        public int Interruptions;
        public int ExplanationsMissing;
    }

    /// <summary>R1 and the per-clip facts the other rules need, over one range of the clip timeline.</summary>
    private sealed class UploadPass
    {
        public List<Finding> Findings { get; } = [];

        public Dictionary<(string, string), Counter> Stats { get; } = [];

        public Dictionary<string, Instant> LastDock { get; } = new(StringComparer.Ordinal);

        public List<ClipTiming> Timings { get; } = [];

        public HashSet<(Sha256Digest, string)> Timed { get; } = [];

        public Dictionary<Sha256Digest, Instant> IngestedAt { get; } = [];

        public static UploadPass Run(Catalog.ClipCatalog catalog, long from, long to, PolicyProfile profile, ILookup<string, (string Officer, Instant From, Instant Return)> declarations)
        {
            var pass = new UploadPass();
            var upload = Duration.FromHours(profile.Upload.Hours);
            foreach (var clip in catalog.Timeline(null, from, to))
            {
                pass.IngestedAt.TryAdd(clip.Sha256, clip.IngestedAt);
                if (clip.Device is not null && (!pass.LastDock.TryGetValue(clip.Device, out var seen) || clip.IngestedAt > seen))
                {
                    pass.LastDock[clip.Device] = clip.IngestedAt;
                }

                if (clip.Start is not { } start)
                {
                    continue; // no recorded time in the name: the deadline cannot be placed
                }

                var end = start + clip.Length;
                if (clip.Probed && clip.Device is not null && pass.Timed.Add((clip.Sha256, clip.Device)))
                {
                    pass.Timings.Add(new ClipTiming(clip.Sha256, clip.Device, clip.Officer, start, clip.Length));
                }

                // R1: stored within Upload.Hours of the recording's end, or of a declared return (001 §21, 002 §13).
                var due = end + upload;
                var article = profile.Upload.Cite;
                if (profile.UploadAfterReturn.Allowed && clip.Officer is not null && declarations.Contains(clip.Officer) &&
                    declarations[clip.Officer].Where(d => d.From <= start && end <= d.Return).Select(d => (Instant?)d.Return).Max() is { } returned)
                {
                    due = returned + Duration.FromHours(profile.UploadAfterReturn.Hours ?? profile.Upload.Hours);
                    article = profile.UploadAfterReturn.Cite;
                }

                var late = clip.IngestedAt > due;
                pass.Count("officer", clip.Officer, late);
                pass.Count("unit", clip.Unit, late);
                pass.Count("device", clip.Device, late);
                if (late)
                {
                    pass.Findings.Add(new Finding("R1", article, "clip:" + clip.Sha256.ToHex(), due, clip.IngestedAt - due, null,
                        $"stored {Hours(clip.IngestedAt - due)} after the {profile.Upload.Hours} h deadline", clip.Officer, clip.Unit, clip.Device));
                }
            }

            return pass;
        }

        /// <summary>This (earlier) range followed by a later one, as if scanned in one pass.</summary>
        public UploadPass Merge(UploadPass later)
        {
            Findings.AddRange(later.Findings);
            foreach (var (key, counter) in later.Stats)
            {
                if (!Stats.TryGetValue(key, out var mine))
                {
                    Stats[key] = mine = new Counter();
                }

                mine.Clips += counter.Clips;
                mine.Late += counter.Late;
            }

            foreach (var (device, docked) in later.LastDock)
            {
                if (!LastDock.TryGetValue(device, out var seen) || docked > seen)
                {
                    LastDock[device] = docked;
                }
            }

            Timings.AddRange(later.Timings.Where(t => Timed.Add((t.Sha256, t.Device))));
            foreach (var (sha, at) in later.IngestedAt)
            {
                IngestedAt.TryAdd(sha, at);
            }

            return this;
        }

        private void Count(string kind, string? key, bool late)
        {
            if (key is null)
            {
                return;
            }

            if (!Stats.TryGetValue((kind, key), out var counter))
            {
                Stats[(kind, key)] = counter = new Counter();
            }

            counter.Clips++;
            if (late)
            {
                counter.Late++;
            }
        }
    }
}
