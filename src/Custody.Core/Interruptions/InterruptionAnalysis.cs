using NodaTime;

namespace EvidenceVault.Custody.Interruptions;

/// <summary>
/// The rules of a recording's continuity (R3, R4). Defaults follow the issue and GA/T 947.2; a
/// policy profile per agency sets them.
/// </summary>
/// <param name="SegmentJoinTolerance">A gap up to this is one continuous recording split into segments (GA/T 947.2 allows ≤ 0.04 s). Default 2 s.</param>
/// <param name="SessionBreak">A longer gap separates recording sessions, outside an enforcement action. Default 30 min.</param>
/// <param name="SpeechWindow">How much of a resumed clip's start is analysed for a spoken explanation. Default 20 s.</param>
/// <param name="WrittenSignatures">Distinct officers who must sign a written explanation (001 §20: two or more). Default 2.</param>
public sealed record InterruptionPolicy(Duration SegmentJoinTolerance, Duration SessionBreak, Duration SpeechWindow, int WrittenSignatures)
{
    public static InterruptionPolicy Default { get; } = new(Duration.FromSeconds(2), Duration.FromMinutes(30), Duration.FromSeconds(20), 2);
}

/// <summary>When a clip was recorded, on the camera's corrected clock.</summary>
/// <param name="Length">Probed duration.</param>
public readonly record struct ClipTiming(Sha256Digest Sha256, string Device, string? Officer, Instant Start, Duration Length)
{
    public Instant End => Start + Length;

    /// <summary>When the vault took the clip from this device into custody (the officer's return, for R3's written deadline).</summary>
    public Instant? DockedAt { get; init; }
}

/// <summary>An enforcement action's window and officers (inside it every gap counts, R4 002 §10(5)).</summary>
public sealed record ActionWindow(string CaseNumber, IReadOnlyCollection<string> Officers, Instant Start, Instant End)
{
    /// <summary>The ActionRecorded entry, when the window comes from the ledger.</summary>
    public long? Index { get; init; }

    /// <summary>The action's type (on-site-inspection, sealing, …: R12), when the window comes from the ledger.</summary>
    public string? ActionType { get; init; }
}

public enum GapKind
{
    /// <summary>Recording stopped and resumed: the officer must explain why (R3).</summary>
    Interruption,

    /// <summary>Two clips of one device overlap in time: a clock fault or inserted footage (R4).</summary>
    Overlap,
}

/// <summary>A gap (or overlap) between two consecutive clips of one device.</summary>
public sealed record Gap(GapKind Kind, string Device, string? Officer, Instant GapStart, Instant GapEnd, Sha256Digest Previous, Sha256Digest Resumed, string? CaseNumber)
{
    /// <summary>When the resumed clip was docked, if known (004 §17: written explanation within 24 h of returning).</summary>
    public Instant? ResumedDockedAt { get; init; }

    public double Seconds => (GapEnd - GapStart).TotalSeconds;
}

/// <summary>
/// Finds interruptions: per device, clips ordered by corrected start, end = start + duration. A gap
/// up to the join tolerance is continuous; up to the session break it is an interruption; longer
/// it separates sessions, unless it lies inside one enforcement action whose officers include the
/// clip's officer, where any gap over the tolerance is an interruption. O(n log n) for n clips.
/// </summary>
public static class InterruptionAnalysis
{
    public static IReadOnlyList<Gap> Find(IEnumerable<ClipTiming> clips, InterruptionPolicy policy, IReadOnlyList<ActionWindow> actions)
    {
        var ordered = clips.ToArray();
        Array.Sort(ordered, static (a, b) =>
        {
            var byDevice = string.CompareOrdinal(a.Device, b.Device);
            return byDevice != 0 ? byDevice : a.Start.CompareTo(b.Start);
        });
        return FindInOrder(ordered, policy, actions);
    }

    /// <summary>As <see cref="Find"/>, for clips already grouped by device and ordered by start within each device.</summary>
    public static IReadOnlyList<Gap> FindInOrder(IReadOnlyList<ClipTiming> ordered, InterruptionPolicy policy, IReadOnlyList<ActionWindow> actions)
    {
        var byOfficer = actions.SelectMany(a => a.Officers.Select(o => (Officer: o, Action: a)))
            .GroupBy(x => x.Officer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(x => x.Action).ToArray(), StringComparer.Ordinal);
        var gaps = new List<Gap>();
        for (var i = 1; i < ordered.Count; i++)
        {
            var previous = ordered[i - 1];
            var resumed = ordered[i];
            if (previous.Device != resumed.Device || previous.Sha256 == resumed.Sha256)
            {
                continue;
            }

            var gap = resumed.Start - previous.End;
            if (gap < -policy.SegmentJoinTolerance)
            {
                gaps.Add(new Gap(GapKind.Overlap, resumed.Device, resumed.Officer, resumed.Start, previous.End, previous.Sha256, resumed.Sha256, null) { ResumedDockedAt = resumed.DockedAt });
                continue;
            }

            if (gap <= policy.SegmentJoinTolerance)
            {
                continue;
            }

            var action = resumed.Officer is { } officer && byOfficer.TryGetValue(officer, out var candidates)
                ? candidates.FirstOrDefault(a => a.Start <= previous.End && resumed.Start <= a.End)
                : null;
            if (gap <= policy.SessionBreak || action is not null)
            {
                gaps.Add(new Gap(GapKind.Interruption, resumed.Device, resumed.Officer, previous.End, resumed.Start, previous.Sha256, resumed.Sha256, action?.CaseNumber) { ResumedDockedAt = resumed.DockedAt });
            }
        }

        return gaps;
    }
}
