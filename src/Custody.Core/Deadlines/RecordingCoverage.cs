using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Policy;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Deadlines;

/// <summary>
/// R12 and R4 (002 §7; 003 §13, §15, §25, §27, §30; 004 §3, §14, §15): the actions the profile says
/// must be recorded are recorded from start to end by each officer on them. For every such action
/// that has ended, per officer, the minutes of its span no clip of theirs covers (their clips' probed
/// start and length), or that nothing of theirs covers it at all.
/// </summary>
public static class RecordingCoverage
{
    /// <summary>Less uncovered than this (a recording started a few seconds late) is not reported.</summary>
    public static readonly Duration Tolerance = Duration.FromMinutes(1);

    public static IEnumerable<Finding> Find(PolicyProfile profile, IReadOnlyList<ActionWindow> actions, IEnumerable<ClipTiming> timings, Instant at)
    {
        var rule = profile.RequiredRecordings;
        var required = actions.Where(a => a.End <= at && a.End > a.Start && (rule.EveryAction || a.ActionType is { } type && rule.ActionTypes.Contains(type))).ToList();
        if (required.Count == 0)
        {
            yield break; // the monitor's scan of every clip pays nothing for a rule with nothing to check
        }

        // Only the clips of officers on those actions, each officer's in recording order.
        var officers = required.SelectMany(a => a.Officers).ToHashSet(StringComparer.Ordinal);
        var byOfficer = timings.Where(t => t.Officer is { } officer && officers.Contains(officer)).GroupBy(t => t.Officer!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(t => t.Start).ToList(), StringComparer.Ordinal);
        foreach (var action in required)
        {
            foreach (var officer in action.Officers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var (uncovered, firstGap) = Uncovered(action.Start, action.End, byOfficer.TryGetValue(officer, out var clips) ? clips : []);
                if (uncovered < Tolerance)
                {
                    continue;
                }

                var span = action.End - action.Start;
                var what = $"{action.ActionType ?? "action"} of case {action.CaseNumber} ({Time(action.Start)}–{Time(action.End)})";
                var message = uncovered == span
                    ? $"{what}: no recording of {officer}'s covers any of it"
                    : $"{what}: {uncovered.TotalMinutes:F1} of its {span.TotalMinutes:F1} min are covered by no recording of {officer}'s, the first from {Time(firstGap!.Value)}";
                yield return new Finding("R12", rule.Cite, action.Index is { } index ? $"action:{index}" : "case:" + action.CaseNumber, action.End, at - action.End, null, message, officer);
            }
        }
    }

    /// <summary>How much of [start, end) the clips leave uncovered, and where the first uncovered stretch begins.</summary>
    private static (Duration Uncovered, Instant? FirstGap) Uncovered(Instant start, Instant end, List<ClipTiming> clips)
    {
        var uncovered = Duration.Zero;
        Instant? first = null;
        var reached = start;
        foreach (var clip in clips)
        {
            if (clip.End <= reached)
            {
                continue;
            }

            if (clip.Start >= end)
            {
                break;
            }

            if (clip.Start > reached)
            {
                first ??= reached;
                uncovered += clip.Start - reached;
            }

            reached = clip.End > reached ? clip.End : reached;
            if (reached >= end)
            {
                break;
            }
        }

        if (reached < end)
        {
            first ??= reached;
            uncovered += end - reached;
        }

        return (uncovered, first);
    }

    private static string Time(Instant instant) => InstantPattern.ExtendedIso.Format(instant);
}
