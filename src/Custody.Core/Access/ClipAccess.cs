using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Custody.Access;

/// <summary>
/// What one person may see of the recordings (R8 004 §28, R10), decided from ledger entries only:
/// a clip's officer and unit come from its proven ClipIngested entries, the tree and memberships from
/// the unit entries, labels from the label entries and the clip's case links. For metadata (the clip,
/// its trail, its cases, its interruptions):
/// <list type="bullet">
/// <item>an officer sees their own recordings;</item>
/// <item>a clerk sees their unit's;</item>
/// <item>a supervisor sees their unit's and every unit's below it;</item>
/// <item>an auditor sees every trail.</item>
/// </list>
/// The bytes are for a clerk of the clip's unit and a supervisor above it; an auditor or an officer
/// sees bytes only when also granted one of those roles. A labelled clip is hidden from anyone without
/// the clearance for each of its labels, whatever their role.
/// </summary>
public sealed class ClipAccess
{
    private readonly Vault _vault;
    private readonly Account _who;
    private readonly UnitTree _units;
    private readonly LabelBook _labels;
    private readonly string? _unit;
    private Dictionary<string, HashSet<string>>? _casesOfClip;

    private ClipAccess(Vault vault, Account who, UnitTree units, LabelBook labels)
    {
        (_vault, _who, _units, _labels) = (vault, who, units, labels);
        _unit = units.UnitOf(who.Id);
    }

    /// <summary>The rules for <paramref name="who"/> as the ledger stands (load once per request).</summary>
    public static ClipAccess For(Vault vault, Account who)
    {
        var (units, labels) = Registers(vault);
        return new(vault, who, units, labels);
    }

    private sealed record Snapshot(long Size, UnitTree Units, LabelBook Labels);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Vault, Snapshot> Snapshots = [];

    /// <summary>
    /// The unit tree and the labels, replayed again only when the ledger has grown since they were last
    /// read (size taken first: what was read is never older than the size it is filed under).
    /// </summary>
    private static (UnitTree Units, LabelBook Labels) Registers(Vault vault)
    {
        var size = vault.Ledger.Size;
        if (Snapshots.TryGetValue(vault, out var known) && known.Size == size)
        {
            return (known.Units, known.Labels);
        }

        var fresh = new Snapshot(size, UnitTree.Load(vault), LabelBook.Load(vault));
        Snapshots.AddOrUpdate(vault, fresh);
        return (fresh.Units, fresh.Labels);
    }

    /// <summary>The rules for a person named on the command line (--by), with the roles the ledger gives them.</summary>
    public static ClipAccess ForPerson(Vault vault, string user) => For(vault, new Account(user, AccountKinds.Person, AccountDirectory.RolesOf(vault, user)));

    /// <summary>Only their own recordings, whatever else they ask for: a person whose only reading role is officer.</summary>
    public bool OwnOnly => _who.Roles.Contains(Roles.Officer) && !_who.Roles.Overlaps([Roles.Clerk, Roles.Supervisor, Roles.Auditor]);

    /// <summary>
    /// The custody units every clip this person may see belongs to, for a search to narrow by in SQL:
    /// a clerk's unit, a supervisor's unit and those below it. Null when that cannot narrow it: an
    /// officer (own clips of any unit), an auditor, or a person at agency level.
    /// </summary>
    public IReadOnlyList<string>? UnitsInScope()
    {
        var roles = _who.Roles;
        if (_unit is null || roles.Contains(Roles.Officer) || roles.Contains(Roles.Auditor))
        {
            return null;
        }

        return roles.Contains(Roles.Supervisor)
            ? [.. _units.Units.Keys.Where(u => _units.Within(u, _unit)).Order(StringComparer.Ordinal)]
            : [_unit];
    }

    /// <summary>Why <paramref name="clip"/> (its metadata, or its bytes) is not for this person; null when it is.</summary>
    /// <param name="trail">The clip's entries when the caller has read them already.</param>
    public string? Refusal(Sha256Digest clip, bool bytes, bool ignoreLabels = false, IReadOnlyList<LedgerEntry>? trail = null)
    {
        trail ??= _vault.Ledger.Entries(Subjects.Clip(clip));
        var sources = trail.Where(e => e.Type == EntryTypes.ClipIngested).Select(e => SourceAt(e.Index)).OfType<Origin>().ToList();
        return Decide(clip, sources, CasesIn(clip, trail), bytes, ignoreLabels);
    }

    /// <summary>The labels on a clip now: its own and its cases' (from the clip's trail).</summary>
    public IReadOnlySet<string> LabelsOf(Sha256Digest clip) => LabelsOf(clip, CasesIn(clip, _vault.Ledger.Entries(Subjects.Clip(clip))));

    /// <summary>R10: why this person may not handle <paramref name="clips"/> (the first label on one of them they hold no clearance for); null when cleared for all.</summary>
    public string? LabelRefusal(IEnumerable<Sha256Digest> clips) =>
        clips.Select(clip => Uncleared(LabelsOf(clip)) is { } label ? LabelRefusal("clip " + clip, label) : null).FirstOrDefault(r => r is not null);

    private string LabelRefusal(string what, string label) => $"{what} is labelled {label} (R10) and {_who.Id} holds no {Labels.Clearance(label)}";

    private static HashSet<string> CasesIn(Sha256Digest clip, IReadOnlyList<LedgerEntry> trail)
    {
        var cases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var link in trail.Where(e => e.Type is EntryTypes.ClipLinked or EntryTypes.ClipUnlinked))
        {
            var payload = PayloadJson.Deserialize<ClipLinkPayload>(link.Payload);
            if (payload.Sha256 == clip.ToHex())
            {
                _ = link.Type == EntryTypes.ClipLinked ? cases.Add(payload.CaseNumber) : cases.Remove(payload.CaseNumber);
            }
        }

        return cases;
    }

    /// <summary>Why one ingest fact (a row of <c>GET /clips</c>) is not for this person; null when it is.</summary>
    public string? Refusal(ClipRow row)
    {
        var source = SourceAt(row.LedgerIndex);
        return Decide(row.Sha256, source is null ? [] : [source], CasesOf(row.Sha256), bytes: false, ignoreLabels: false);
    }

    /// <summary>Why a case (its facts and trail) is not for this person: a label on it they hold no clearance for.</summary>
    public string? CaseRefusal(string caseNumber) =>
        _who.Kind != AccountKinds.Person ? $"{_who.Principal} is not a person"
        : Uncleared(_labels.Of(Subjects.Case(caseNumber))) is { } label ? LabelRefusal("case " + caseNumber, label)
        : null;

    /// <summary>The labels on a clip: its own and those of the cases it is linked to.</summary>
    public IReadOnlySet<string> LabelsOf(Sha256Digest clip, IEnumerable<string> cases)
    {
        var labels = new HashSet<string>(_labels.Of(Subjects.Clip(clip)), StringComparer.Ordinal);
        foreach (var number in cases)
        {
            labels.UnionWith(_labels.Of(Subjects.Case(number)));
        }

        return labels;
    }

    private sealed record Origin(string? Officer, string? Unit);

    private Origin? SourceAt(long index)
    {
        // Only a proven entry says who recorded a clip and for which unit; a row no entry backs is nobody's.
        var entry = _vault.Proven.Entry(index, out var problem);
        if (entry?.Type != EntryTypes.ClipIngested)
        {
            Serilog.Log.Warning("Access: ignoring clip source {Index}: {Problem}", index, problem ?? "not a ClipIngested entry");
            return null;
        }

        var payload = PayloadJson.Deserialize<ClipIngestedPayload>(entry.Payload);
        return new Origin(payload.Clip.OfficerId, payload.Unit);
    }

    private IEnumerable<string> CasesOf(Sha256Digest clip)
    {
        if (!_labels.AnyCase)
        {
            return [];
        }

        if (_casesOfClip is null)
        {
            // Case links from the entries, once per request, only when some case is labelled.
            _casesOfClip = new(StringComparer.Ordinal);
            foreach (var link in _vault.Ledger.EntriesOfType(EntryTypes.ClipLinked).Concat(_vault.Ledger.EntriesOfType(EntryTypes.ClipUnlinked)).OrderBy(e => e.Index))
            {
                var payload = PayloadJson.Deserialize<ClipLinkPayload>(link.Payload);
                var set = _casesOfClip.TryGetValue(payload.Sha256, out var found) ? found : _casesOfClip[payload.Sha256] = new HashSet<string>(StringComparer.Ordinal);
                _ = link.Type == EntryTypes.ClipLinked ? set.Add(payload.CaseNumber) : set.Remove(payload.CaseNumber);
            }
        }

        return _casesOfClip.TryGetValue(clip.ToHex(), out var cases) ? cases : [];
    }

    private string? Uncleared(IEnumerable<string> labels) => labels.Order(StringComparer.Ordinal).FirstOrDefault(l => !_who.Roles.Contains(Labels.Clearance(l)));

    private string? Decide(Sha256Digest clip, IReadOnlyList<Origin> sources, IEnumerable<string> cases, bool bytes, bool ignoreLabels)
    {
        if (_who.Kind != AccountKinds.Person)
        {
            return $"{_who.Principal} is not a person";
        }

        if (!ignoreLabels && Uncleared(LabelsOf(clip, cases)) is { } label)
        {
            return LabelRefusal("clip " + clip, label);
        }

        var roles = _who.Roles;
        var inUnit = sources.Any(s => s.Unit == _unit);
        var below = sources.Any(s => _units.Within(s.Unit, _unit));
        var allowed = roles.Contains(Roles.Clerk) && inUnit || roles.Contains(Roles.Supervisor) && below
            || !bytes && (roles.Contains(Roles.Auditor) || roles.Contains(Roles.Officer) && sources.Any(s => s.Officer == _who.Id));
        if (allowed)
        {
            return null;
        }

        var where = sources.Count == 0 ? "no unit" : string.Join(", ", sources.Select(s => _units.Describe(s.Unit)).Distinct());
        return bytes
            ? $"clip {clip}'s bytes are for a clerk of its unit ({where}) or a supervisor above it (R8, 004 §28); {_who.Id} is in {_units.Describe(_unit)} with {Held()}"
            : $"clip {clip} is recorded for {where}; {_who.Id} is in {_units.Describe(_unit)} with {Held()} (R8, 004 §28: officers see their own recordings, clerks their unit's, supervisors their unit's and below)";
    }

    private string Held() => _who.Roles.Count == 0 ? "no role" : "role " + string.Join(", ", _who.Roles.Order(StringComparer.Ordinal));
}
