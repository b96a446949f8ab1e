using System.Reflection;
using System.Text.Json;

namespace EvidenceVault.Custody.Policy;

/// <summary>
/// One agency's regulation as data (R1–R18 of ../shared/regulations/RULES.md): deadlines, duties,
/// approvers, retention. Differences between agencies are fields here, never branches in code. Every
/// rule carries <c>Cite</c>, the article it comes from (or why a default applies where the text is silent).
/// </summary>
public sealed record PolicyProfile(
    string Id,
    string Agency,
    string Source,
    UploadRule Upload,
    UploadAfterReturnRule UploadAfterReturn,
    ArchiveRule? Archive,
    InterruptionRule Interruption,
    ApproverRule CopyApprover,
    ApproverRule ExternalReleaseApprover,
    RetentionRule Retention,
    RecordingRule RequiredRecordings,
    DeviceRule Devices,
    EmergencyRule? EmergencyStart,
    WorkRecordRule? WorkRecordReview,
    ReviewRule? Review = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<string> Ids { get; } =
    [
        "changzhi-civil-air-defence", "hebei-street-office", "jiaozuo-emergency", "mingshan-emergency", "changzhi-police",
    ];

    public static PolicyProfile Load(string id)
    {
        using var stream = typeof(PolicyProfile).Assembly.GetManifestResourceStream($"profiles/{id}.json")
            ?? throw new VaultException($"No policy profile '{id}' (known: {string.Join(", ", Ids)}).");
        return JsonSerializer.Deserialize<PolicyProfile>(stream, Json) ?? throw new VaultException($"Policy profile '{id}' is empty.");
    }

    public Interruptions.InterruptionPolicy InterruptionPolicy => new(
        NodaTime.Duration.FromSeconds(Interruption.SegmentJoinToleranceSeconds),
        NodaTime.Duration.FromMinutes(Interruption.SessionBreakMinutes),
        NodaTime.Duration.FromSeconds(Interruption.SpeechWindowSeconds),
        Interruption.WrittenSignatures);
}

/// <summary>R1: store within this many hours after the recording ends.</summary>
public sealed record UploadRule(int Hours, string Cite);

/// <summary>R1 exception: continuous or remote enforcement, counted from the officer's return, where granted.</summary>
public sealed record UploadAfterReturnRule(bool Allowed, int? Hours, string Cite);

/// <summary>R2: into the case file within Days (calendar or working days) after the matter ends.</summary>
public sealed record ArchiveRule(int Days, bool WorkingDays, string Cite);

/// <summary>R3, R4: what an interruption requires.</summary>
public sealed record InterruptionRule(
    bool VoiceOnResume,
    string VoiceCite,
    int WrittenSignatures,
    string WrittenCite,
    int WrittenWithinHoursOfReturn,
    string WrittenWithinCite,
    double SegmentJoinToleranceSeconds,
    int SessionBreakMinutes,
    int SpeechWindowSeconds,
    string ToleranceCite);

/// <summary>R8: who approves.</summary>
public sealed record ApproverRule(string Role, string Cite);

/// <summary>R6: how long originals are kept.</summary>
public sealed record RetentionRule(string Rule, int? MinimumMonths, bool PermanentWhenEvidence, IReadOnlyList<string> LongTermTriggers, string Cite);

/// <summary>R12: which actions must be recorded.</summary>
public sealed record RecordingRule(IReadOnlyList<string> ActionTypes, bool EveryAction, string Cite);

/// <summary>R15: a camera must come back to the dock at least this often, or its clips are invisible.</summary>
public sealed record DeviceRule(int MaxHoursBetweenDocks, string Cite);

/// <summary>R16: an action started before approval must be approved within this many hours, by a holder of <paramref name="Approver"/>.</summary>
public sealed record EmergencyRule(int ApprovalWithinHours, string Cite, string Approver);

/// <summary>
/// R16 (001 §13, 003 §38): internal approvals record the handler's opinion, then the reviewer's, then the
/// approver's, each dated: a copy or an export is approved only after a holder of <paramref name="Role"/> reviewed it.
/// </summary>
public sealed record ReviewRule(string Role, string Cite);

/// <summary>R11: who reviews a work record explaining why an action was not recorded.</summary>
public sealed record WorkRecordRule(string Reviewer, string Cite)
{
    /// <summary>Where the profile names no reviewer: the agency head of 000 §9 and 002 §8.</summary>
    public const string DefaultReviewer = "agency-head";
}
