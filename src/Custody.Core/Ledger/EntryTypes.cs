namespace EvidenceVault.Custody.Ledger;

/// <summary>Ledger entry types: past-tense facts.</summary>
public static class EntryTypes
{
    /// <summary>The first entry of every ledger: origin and signing key of the vault.</summary>
    public const string VaultCreated = "VaultCreated";

    /// <summary>An original landed in verified custody (R1, R5).</summary>
    public const string ClipIngested = "ClipIngested";

    /// <summary>A dock station handed a clip from its spool to the central vault, which took it into custody (networked mode).</summary>
    public const string ClipForwarded = "ClipForwarded";

    /// <summary>A camera was docked at a station in networked mode (device, officer, clock offset).</summary>
    public const string DockSessionOpened = "DockSessionOpened";

    /// <summary>Somebody saw a clip's bytes (R8, 004 §32).</summary>
    public const string ClipViewed = "ClipViewed";

    /// <summary>The worker read a clip's container, streams and timestamps with ffprobe (the original untouched).</summary>
    public const string ClipProbed = "ClipProbed";

    /// <summary>ffprobe could not read the clip (truncated, corrupt, not a video); it stays in custody, flagged.</summary>
    public const string ProbeFailed = "ProbeFailed";

    /// <summary>The opening seconds of a resumed clip were measured for speech (R3: explanation by voice on resuming).</summary>
    public const string SpeechAnalysed = "SpeechAnalysed";

    /// <summary>A clerk listened to the opening of a resumed clip and confirmed (or rejected) the spoken explanation.</summary>
    public const string SpeechReviewed = "SpeechReviewed";

    /// <summary>A signed written explanation of an interruption was attached (R3, 001 §20, 002 §11, 004 §17).</summary>
    public const string WrittenExplanationAttached = "WrittenExplanationAttached";

    public const string CaseRegistered = "CaseRegistered";

    /// <summary>An enforcement action of a case: type, officers, place, start and end.</summary>
    public const string ActionRecorded = "ActionRecorded";

    public const string ClipLinked = "ClipLinked";

    public const string ClipUnlinked = "ClipUnlinked";

    /// <summary>The vault's active policy profile was chosen (at set-up, or changed later by a person).</summary>
    public const string PolicySelected = "PolicySelected";

    /// <summary>R1 exception: continuous or remote enforcement; uploads are due 24 h after the officer returns (001 §21, 002 §13).</summary>
    public const string RemoteEnforcementDeclared = "RemoteEnforcementDeclared";

    /// <summary>R2: the matter of a case ended; its file is due in the archive within the profile's period.</summary>
    public const string MatterEnded = "MatterEnded";

    public const string CaseArchived = "CaseArchived";

    /// <summary>R16: an action started before approval (emergency) was approved.</summary>
    public const string ActionApproved = "ActionApproved";

    /// <summary>R11: why an action was not recorded (000 §9, 002 §8).</summary>
    public const string WorkRecordFiled = "WorkRecordFiled";

    public const string WorkRecordReviewed = "WorkRecordReviewed";

    /// <summary>R6: a long-term retention trigger, a legal hold, or use as evidence was recorded for a case or clip.</summary>
    public const string RetentionFactRecorded = "RetentionFactRecorded";

    /// <summary>R6: a clip's retention was extended (never shortened) because of a retention fact.</summary>
    public const string RetentionExtended = "RetentionExtended";

    /// <summary>R2: a year of the State Council's holiday notice was imported (custody calendar import); working-day deadlines in that year become computable.</summary>
    public const string CalendarImported = "CalendarImported";

    /// <summary>An API key was issued to a station or a person (its SHA-256 is recorded, never the key).</summary>
    public const string AccountIssued = "AccountIssued";

    public const string AccountRevoked = "AccountRevoked";

    /// <summary>A person was given a role (clerk, supervisor, an approver role named by the policy profile).</summary>
    public const string RoleGranted = "RoleGranted";

    /// <summary>A person lost a role (custody role revoke); a revoked account loses its roles too (issue 21).</summary>
    public const string RoleRevoked = "RoleRevoked";

    /// <summary>A known caller was refused a view, copy, approval or other access (Access.Refusals; issue 21).</summary>
    public const string AccessRefused = "AccessRefused";

    /// <summary>R8 (000 §22, 003 §34, 002 §18; 004 §32): a copy for a party asked for, approved, made (Access/Copies.cs).</summary>
    public const string CopyRequested = "CopyRequested";

    public const string CopyApproved = "CopyApproved";

    /// <summary>R16 (001 §13, 003 §38): a reviewer's dated opinion on a copy or export request, before its approval.</summary>
    public const string RequestReviewed = "RequestReviewed";

    public const string ClipCopied = "ClipCopied";

    /// <summary>R15 (台账): a camera put on the register, assigned, reported faulty, repaired, retired (Devices.DeviceRegister).</summary>
    public const string DeviceRegistered = "DeviceRegistered";

    public const string DeviceAssigned = "DeviceAssigned";

    public const string DeviceFaultReported = "DeviceFaultReported";

    public const string DeviceRepaired = "DeviceRepaired";

    public const string DeviceRetired = "DeviceRetired";

    /// <summary>R8 (004 §28): a unit added to the agency's tree; a person placed in a unit (Access.UnitTree).</summary>
    public const string UnitCreated = "UnitCreated";

    public const string MemberAssigned = "MemberAssigned";

    /// <summary>R10: a confidentiality label set on, or cleared from, a clip or a case (Access.LabelBook).</summary>
    public const string LabelSet = "LabelSet";

    public const string LabelCleared = "LabelCleared";

    /// <summary>R18 (000 §23): a case handed over to another body with its package and a transfer record (Export.CaseTransfer).</summary>
    public const string CaseTransferred = "CaseTransferred";

    /// <summary>R8/R9: somebody asked to hand a case's recordings to a court or another outside party.</summary>
    public const string ExportRequested = "ExportRequested";

    /// <summary>R8: the profile's approver for external release approved an export request; never the requester.</summary>
    public const string ExportApproved = "ExportApproved";

    /// <summary>R9: a certified export package was written; its payload names the manifest's SHA-256 (docs/export-format.md).</summary>
    public const string EvidenceExported = Verifier.PackageLayout.ExportEntryType;

    /// <summary>An RFC 3161 time-stamp of the checkpoint holding an export: the token's SHA-256, linked to the export entry.</summary>
    public const string ExportTimestamped = Verifier.PackageLayout.TimestampEntryType;

    /// <summary>A witness outside the agency (docs/trust.md) is offered every new checkpoint from now on.</summary>
    public const string WitnessAdded = "WitnessAdded";

    /// <summary>A witness is no longer offered checkpoints; its cosignatures stay published.</summary>
    public const string WitnessRemoved = "WitnessRemoved";
}

/// <summary>Subject names: a kind prefix and the identifier.</summary>
public static class Subjects
{
    public const string Vault = "vault";

    /// <summary>Every imported holiday calendar (also filed under calendar:YEAR).</summary>
    public const string Calendars = "calendar";

    /// <summary>Every added or removed witness (also filed under witness:NAME): read through the subject index, never a scan.</summary>
    public const string Witnesses = "witness";

    public static string Clip(Sha256Digest sha256) => "clip:" + sha256.ToHex();

    public static string Device(string serial) => "device:" + serial;

    public static string Case(string caseNumber) => "case:" + caseNumber;

    public static string User(string id) => "user:" + id;

    public static string Unit(string id) => "unit:" + id;
}
