using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using NodaTime;

namespace EvidenceVault.Custody.Deadlines;

/// <summary>One thing the monitor holds against a clip, case, device, officer or record.</summary>
/// <param name="Rule">R1, R2, R3, R11, R12, R15, R16.</param>
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

/// <param name="LedgerEntries">How many ledger entries (from index 0) the report rests on: all of them, or those written up to At.</param>
/// <param name="LedgerSize">How many entries the ledger holds now.</param>
/// <param name="LastEntryTime">When the last entry the report rests on was written.</param>
public sealed record DeadlineReport(string ProfileId, Instant At, IReadOnlyList<Finding> Findings, IReadOnlyList<Statistic> Statistics, long LedgerEntries, long LedgerSize, Instant? LastEntryTime)
{
    /// <summary>True when entries written after At were left out (a report of the past).</summary>
    public bool Historical => LedgerEntries < LedgerSize;
}

/// <summary>
/// Holds every clip, case, device and officer to the active profile's deadlines, as of a given time:
/// R1 late uploads (or 24 h after a declared return), R15 cameras not docked for too long, R2 case
/// files not archived in time (calendar or working days), R3 interruptions without a confirmed
/// explanation past their deadline, R12 required actions not recorded start to end, R16 emergency
/// actions not approved in time, and R11 work records
/// awaiting review. Reads the derived tables in bulk: one pass per kind.
/// </summary>
public static class DeadlineMonitor
{
    /// <summary>How close a deadline must be to be reported as coming (dueIn).</summary>
    public static readonly Duration Warning = Duration.FromDays(3);

    /// <summary>
    /// Every fact the ledger holds now, held against the deadlines as they stand at <paramref name="at"/>:
    /// what the worker's monitor runs with the current time. For a report of the past, see <see cref="AsOf"/>.
    /// </summary>
    public static DeadlineReport Scan(Vault vault, Instant at, WorkingCalendar calendar)
    {
        var size = vault.Ledger.Size;
        var last = size == 0 ? (Instant?)null : vault.Ledger.Read(size - 1).Time;
        return Scan(new Source(vault.Ledger, vault.Policy, vault.Clips, vault.OpenSecondReader, () => vault.Ledger.Entries(Subjects.Calendars)), at, calendar, size, size, last);
    }

    /// <summary>
    /// The report as it could have been made at <paramref name="at"/>: only from the ledger's entries
    /// written up to then (replayed, see <see cref="CatalogAsOf"/>), so a clip docked, an explanation
    /// attached or a calendar imported later does not count, and nothing is late that was not late yet.
    /// Always from the replay, also for "now": the findings rest on entries, not on derived rows.
    /// </summary>
    public static DeadlineReport AsOf(Vault vault, Instant at, WorkingCalendar calendar)
    {
        using var replay = CatalogAsOf.Replay(vault, at);
        return replay is null
            ? Scan(vault, at, calendar)
            : Scan(new Source(replay.Ledger, replay.Policy, replay.Clips, null, () => replay.Ledger.EntriesOfType(EntryTypes.CalendarImported)), at, calendar, replay.Entries, vault.Ledger.Size, replay.LastEntryTime);
    }

    /// <summary>What a scan reads: the catalog tables (live or replayed) and, for the live ones, a second connection for the parallel half.</summary>
    private sealed record Source(SqliteLedger Ledger, PolicyState Policy, Catalog.ClipCatalog Clips, Func<SqliteLedger>? OpenSecondReader, Func<IReadOnlyList<LedgerEntry>> CalendarImports);

    private static DeadlineReport Scan(Source source, Instant at, WorkingCalendar calendar, long entries, long size, Instant? lastEntryTime)
    {
        var profile = source.Policy.ActiveProfile();
        calendar = HolidayCalendar.WithImports(calendar, source.CalendarImports());
        var findings = new List<Finding>();

        // R1 over every custody fact, in two halves read and checked on two connections at once
        // (a scan of a million clips is bound by reading rows); the halves are merged in ledger order.
        var declarations = source.Policy.Declarations().ToLookup(d => d.Officer, StringComparer.Ordinal);
        var middle = source.OpenSecondReader is null ? long.MaxValue : source.Ledger.Size / 2;
        var second = source.OpenSecondReader is not { } open ? null : Task.Run(() =>
        {
            using var side = open();
            return UploadPass.Run(new Catalog.ClipCatalog(side), middle, long.MaxValue, profile, declarations);
        });
        var first = UploadPass.Run(source.Clips, 0, middle, profile, declarations);
        var later = second?.GetAwaiter().GetResult() ?? UploadPass.Run(source.Clips, 0, 0, profile, declarations);
        var pass = first.Merge(later);
        findings.AddRange(pass.Findings);
        var stats = pass.Stats;
        Counter Stat(string kind, string? key) => key is null ? new Counter() : stats.TryGetValue((kind, key), out var c) ? c : stats[(kind, key)] = new Counter();
        var lastDock = pass.LastDock;
        var timings = UploadPass.OrderedTimings(first, later);

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
            foreach (var (caseNumber, ended, archived) in source.Policy.CaseStatuses())
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
        var actions = source.Clips.Actions();
        var gaps = InterruptionAnalysis.FindInOrder(timings, profile.InterruptionPolicy, actions);
        foreach (var row in InterruptionReport.Explain(source.Policy, profile.InterruptionPolicy, gaps).Where(r => r.Gap.Kind == GapKind.Interruption))
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

            if (!missing || row.Gap.ResumedDockedAt is not { } returned)
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

        // R12/R4: every action the profile says must be recorded, recorded from start to end by each of its officers.
        findings.AddRange(RecordingCoverage.Find(profile, actions, timings, at));

        // R16: an action started before approval is approved within EmergencyStart.ApprovalWithinHours.
        if (profile.EmergencyStart is { } emergency)
        {
            foreach (var (index, action, approved) in source.Policy.EmergencyActions())
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
        foreach (var (index, officer, filed, reviewed) in source.Policy.WorkRecords().Where(w => !w.Reviewed))
        {
            findings.Add(new Finding("R11", profile.WorkRecordReview?.Cite ?? "000 §9, 002 §8", $"work-record:{index}", null, null, null,
                $"work record filed {Hours(at - filed)} ago awaits the head's review", officer));
        }

        var statistics = stats.Select(s => new Statistic(s.Key.Item1, s.Key.Item2, s.Value.Clips, s.Value.Clips - s.Value.Late, s.Value.Late, s.Value.Interruptions, s.Value.ExplanationsMissing))
            .OrderBy(s => s.Kind, StringComparer.Ordinal).ThenBy(s => s.Key, StringComparer.Ordinal).ToList();
        return new DeadlineReport(profile.Id, at, findings, statistics, entries, size, lastEntryTime);
    }

    private static string Hours(Duration duration) => duration.TotalHours >= 48 ? $"{duration.TotalDays:F1} days" : $"{duration.TotalHours:F1} h";

    private sealed class Counter
    {
        public int Clips;
        public int Late;
        public int Interruptions;
        public int ExplanationsMissing;
    }

    /// <summary>R1 and the per-clip facts the other rules need, over one range of the clip timeline (as columns).</summary>
    private sealed class UploadPass
    {
        private UploadPass(TimelineColumns rows) => Rows = rows;

        public TimelineColumns Rows { get; }

        public List<Finding> Findings { get; } = [];

        public Dictionary<(string, string), Counter> Stats { get; } = [];

        public Dictionary<string, Instant> LastDock { get; } = new(StringComparer.Ordinal);

        public static UploadPass Run(Catalog.ClipCatalog catalog, long from, long to, PolicyProfile profile, ILookup<string, (string Officer, Instant From, Instant Return)> declarations)
        {
            var rows = catalog.Columns(null, from, to);
            var pass = new UploadPass(rows);
            var names = rows.Names.Count;
            // Counters per name id, one set per kind (a name may be a device and an officer at once).
            int[] officerClips = new int[names], officerLate = new int[names], unitClips = new int[names], unitLate = new int[names], deviceClips = new int[names], deviceLate = new int[names];
            var lastDock = new long[names];
            Array.Fill(lastDock, long.MinValue);
            var declared = new (long From, long Return)[]?[names];
            for (var id = 0; id < names; id++)
            {
                if (profile.UploadAfterReturn.Allowed && declarations.Contains(rows.Names[id]))
                {
                    declared[id] = [.. declarations[rows.Names[id]].Select(d => (Nanoseconds(d.From), Nanoseconds(d.Return)))];
                }
            }

            var upload = Duration.FromHours(profile.Upload.Hours).ToInt64Nanoseconds();
            var afterReturn = Duration.FromHours(profile.UploadAfterReturn.Hours ?? profile.Upload.Hours).ToInt64Nanoseconds();
            for (var i = 0; i < rows.Count; i++)
            {
                var device = rows.Device[i];
                var ingested = rows.IngestedNs[i];
                if (device != TimelineColumns.NoName && ingested > lastDock[device])
                {
                    lastDock[device] = ingested;
                }

                var start = rows.StartNs[i];
                if (start == TimelineColumns.NoStart)
                {
                    continue; // no recorded time in the name: the deadline cannot be placed
                }

                // R1: stored within Upload.Hours of the recording's end, or of a declared return (001 §21, 002 §13).
                var end = start + rows.LengthNs[i];
                var due = end + upload;
                var article = profile.Upload.Cite;
                var officer = rows.Officer[i];
                if (officer != TimelineColumns.NoName && declared[officer] is { } windows)
                {
                    var returned = long.MinValue;
                    foreach (var (declaredFrom, declaredReturn) in windows)
                    {
                        if (declaredFrom <= start && end <= declaredReturn && declaredReturn > returned)
                        {
                            returned = declaredReturn;
                        }
                    }

                    if (returned != long.MinValue)
                    {
                        due = returned + afterReturn;
                        article = profile.UploadAfterReturn.Cite;
                    }
                }

                var late = ingested > due ? 1 : 0;
                var unit = rows.Unit[i];
                if (officer != TimelineColumns.NoName)
                {
                    officerClips[officer]++;
                    officerLate[officer] += late;
                }

                if (unit != TimelineColumns.NoName)
                {
                    unitClips[unit]++;
                    unitLate[unit] += late;
                }

                if (device != TimelineColumns.NoName)
                {
                    deviceClips[device]++;
                    deviceLate[device] += late;
                }

                if (late != 0)
                {
                    pass.Findings.Add(new Finding("R1", article, "clip:" + rows.Sha[i].ToHex(), TimelineColumns.ToInstant(due), Duration.FromNanoseconds(ingested - due), null,
                        $"stored {Hours(Duration.FromNanoseconds(ingested - due))} after the {profile.Upload.Hours} h deadline", rows.Name(officer), rows.Name(unit), rows.Name(device)));
                }
            }

            for (var id = 0; id < names; id++)
            {
                pass.Add("officer", rows.Names[id], officerClips[id], officerLate[id]);
                pass.Add("unit", rows.Names[id], unitClips[id], unitLate[id]);
                pass.Add("device", rows.Names[id], deviceClips[id], deviceLate[id]);
                if (lastDock[id] != long.MinValue)
                {
                    pass.LastDock[rows.Names[id]] = TimelineColumns.ToInstant(lastDock[id]);
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

            return this;
        }

        /// <summary>
        /// The probed clips with a recorded start, grouped by device (devices in ordinal order) and
        /// ordered by start within each, the first custody fact of each original per device only
        /// (the same bytes under two names are one recording): what interruption analysis reads.
        /// A bucket per device in ledger order, then a sort only where a device's clips were docked
        /// out of recording order.
        /// </summary>
        public static ClipTiming[] OrderedTimings(params UploadPass[] passes)
        {
            var devices = passes.SelectMany(p => p.Rows.Names) // every name: those that are no device get an empty bucket
               .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var rank = devices.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
            var ranks = passes.Select(p => p.Rows.Names.Select(n => rank[n]).ToArray()).ToArray();
            var perDevice = new int[devices.Count + 1];
            for (var p = 0; p < passes.Length; p++)
            {
                var rows = passes[p].Rows;
                for (var i = 0; i < rows.Count; i++)
                {
                    if (Timed(rows, i))
                    {
                        perDevice[ranks[p][rows.Device[i]] + 1]++;
                    }
                }
            }

            for (var d = 1; d < perDevice.Length; d++)
            {
                perDevice[d] += perDevice[d - 1];
            }

            var next = (int[])perDevice.Clone();
            var bucketed = new (int Pass, int Row)[perDevice[^1]];
            for (var p = 0; p < passes.Length; p++)
            {
                var rows = passes[p].Rows;
                for (var i = 0; i < rows.Count; i++)
                {
                    if (Timed(rows, i))
                    {
                        bucketed[next[ranks[p][rows.Device[i]]]++] = (p, i);
                    }
                }
            }

            var ordered = new List<ClipTiming>(bucketed.Length);
            var seen = new HashSet<Sha256Digest>();
            for (var d = 0; d < devices.Count; d++)
            {
                seen.Clear();
                var first = ordered.Count;
                var sorted = true;
                for (var k = perDevice[d]; k < perDevice[d + 1]; k++)
                {
                    var (p, i) = bucketed[k];
                    var rows = passes[p].Rows;
                    if (!seen.Add(rows.Sha[i]))
                    {
                        continue;
                    }

                    var timing = new ClipTiming(rows.Sha[i], devices[d], rows.Name(rows.Officer[i]), TimelineColumns.ToInstant(rows.StartNs[i]), Duration.FromNanoseconds(rows.LengthNs[i]))
                    {
                        DockedAt = TimelineColumns.ToInstant(rows.IngestedNs[i]),
                    };
                    sorted &= ordered.Count == first || ordered[^1].Start <= timing.Start;
                    ordered.Add(timing);
                }

                if (!sorted)
                {
                    // Stable: clips with the same start keep their ledger order.
                    var span = ordered.GetRange(first, ordered.Count - first).Select((t, k) => (t, k)).OrderBy(x => x.t.Start).ThenBy(x => x.k).Select(x => x.t).ToList();
                    for (var k = 0; k < span.Count; k++)
                    {
                        ordered[first + k] = span[k];
                    }
                }
            }

            return [.. ordered];
        }

        private static bool Timed(TimelineColumns rows, int i) =>
            rows.Probed[i] && rows.Device[i] != TimelineColumns.NoName && rows.StartNs[i] != TimelineColumns.NoStart;

        private static long Nanoseconds(Instant instant) => (instant - NodaConstants.UnixEpoch).ToInt64Nanoseconds();

        private void Add(string kind, string key, int clips, int late)
        {
            if (clips > 0)
            {
                Stats[(kind, key)] = new Counter { Clips = clips, Late = late };
            }
        }
    }
}
