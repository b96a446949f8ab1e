using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceVault.Custody.Ledger;

/// <summary>Payload of <see cref="EntryTypes.VaultCreated"/>: the vault's identity, fixed for its life.</summary>
/// <summary><paramref name="EntrySeals"/>: the entry-seal scheme every entry is sealed with (absent in vaults set up before issue 18).</summary>
public sealed record VaultCreatedPayload(string Origin, string VerifierKey, string Station, string? EntrySeals = null);

/// <summary>
/// What the dock knows about a clip before its bytes are read: who recorded it, on which camera,
/// and when by the camera's clock. Names and times from a camera are untrusted and kept verbatim.
/// </summary>
public sealed record ClipFacts
{
    /// <summary>The name on the camera, relative to its volume: recorded as found, never used as a path.</summary>
    public required string FileName { get; init; }

    public string? DeviceSerial { get; init; }

    /// <summary>The officer's 警号.</summary>
    public string? OfficerId { get; init; }

    public string? OfficerName { get; init; }

    public string? UnitId { get; init; }

    public string? UnitName { get; init; }

    /// <summary>Recording start as the camera's clock read it, camera local time (ISO, no offset).</summary>
    public string? RecordedStartLocal { get; init; }

    /// <summary>The camera's time zone (TZDB id), e.g. Asia/Shanghai.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Camera clock minus dock clock when docked, in seconds, measured before the clock was synced.</summary>
    public double? ClockOffsetSeconds { get; init; }

    /// <summary>Recording start corrected by the clock offset, UTC (ISO 8601).</summary>
    public string? RecordedStart { get; init; }

    public int? Sequence { get; init; }

    /// <summary>The file's size on the camera when it was listed; differs from the stored size if it changed while read.</summary>
    public long? SizeOnCamera { get; init; }

    /// <summary>The camera's important-file mark (重点文件).</summary>
    public bool Important { get; init; }

    /// <summary>Why a clerk should look: unparsed-name, empty, changed-while-read, serial-mismatch, clock-offset-exceeds-allowance.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
}

/// <summary>
/// Payload of <see cref="EntryTypes.ClipIngested"/>: one custody fact per clip pulled from a camera.
/// The same bytes under two names are one object and two facts.
/// </summary>
public sealed record ClipIngestedPayload
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>The dock station that pulled it.</summary>
    public string? Station { get; init; }

    public required ClipFacts Clip { get; init; }

    /// <summary>
    /// The S3 version id of the original as the server verified it at ingest (issue 18 §10): reads,
    /// locks and extensions address exactly this version, never "the latest", which anyone holding the
    /// store's credentials can put over it. Absent on the folder store and in entries written before.
    /// </summary>
    public string? StoreVersion { get; init; }

    /// <summary>
    /// R8 (004 §28): the custody unit, the vault's own answer (not the camera's UnitId): the unit the
    /// docking officer belonged to in the member register when the clip was ingested. Absent when the
    /// officer is in no unit (the agency's own) and in entries written before issue 21.
    /// </summary>
    public string? Unit { get; init; }
}

/// <summary>Payload of ClipProbed and ProbeFailed: what ffprobe said about an original (never re-encoded).</summary>
/// <param name="MissingBytes">Bytes the file's last MP4 box declares beyond the end of the file (0 when the boxes end whole).</param>
/// <param name="MissingSeconds">The container's duration minus the media present.</param>
/// <param name="MediaSeconds">Seconds of video actually in the file, from its first to the end of its last packet.</param>
public sealed record ClipTruncation(long MissingBytes, double MissingSeconds, double MediaSeconds);

public sealed record ClipProbedPayload
{
    public required string Sha256 { get; init; }

    /// <summary>SHA-256 of ffprobe's own JSON output, so the full report can be reproduced and compared.</summary>
    public string? ProbeDigest { get; init; }

    public double? DurationSeconds { get; init; }

    public string? Container { get; init; }

    public string? VideoCodec { get; init; }

    public string? AudioCodec { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public double? FrameRate { get; init; }

    /// <summary>The container's creation_time tag, as written by the camera.</summary>
    public string? CreationTime { get; init; }

    public double? VideoStartSeconds { get; init; }

    public double? AudioStartSeconds { get; init; }

    /// <summary>Video timestamp jumps inside the file: forward by more than 1 s, or any step back (R4).</summary>
    public IReadOnlyList<TimestampJump> Discontinuities { get; init; } = [];

    /// <summary>The file was cut short after its index was written: the index's duration is not all there (R4: the missing part is a gap).</summary>
    public ClipTruncation? Truncated { get; init; }

    /// <summary>For ProbeFailed: ffprobe's error, naming the file.</summary>
    public string? Error { get; init; }
}

/// <param name="AtSeconds">Decode timestamp before the jump.</param>
/// <param name="JumpSeconds">Positive forward, negative backwards.</param>
public sealed record TimestampJump(double AtSeconds, double JumpSeconds);

/// <summary>Payload of SpeechAnalysed: the measured figures with the verdict, for the clerk to confirm.</summary>
public sealed record SpeechAnalysedPayload
{
    public required string Sha256 { get; init; }

    /// <summary>detected, not-detected, or no-audio.</summary>
    public required string Verdict { get; init; }

    public double SecondsAnalysed { get; init; }

    /// <summary>Standard deviation of the 100 ms RMS levels (dB) after a 300–3400 Hz band-pass: speech varies, a tone or steady noise does not.</summary>
    public double LevelSpreadDb { get; init; }

    public double MeanLevelDb { get; init; }

    public double ThresholdDb { get; init; }

    public int Windows { get; init; }
}

/// <summary>Payload of SpeechReviewed: the clerk's word on the detector's verdict.</summary>
public sealed record SpeechReviewedPayload
{
    public required string Sha256 { get; init; }

    /// <summary>True when the clerk heard the officer explain the interruption.</summary>
    public required bool Heard { get; init; }

    public string? Note { get; init; }
}

/// <summary>Payload of WrittenExplanationAttached (R3): why recording stopped, signed by the officers.</summary>
public sealed record WrittenExplanationPayload
{
    public required string ResumedClipSha256 { get; init; }

    public string? PreviousClipSha256 { get; init; }

    /// <summary>equipment-failure, low-battery, storage-full, weather, obstruction, other.</summary>
    public required string Category { get; init; }

    public required string Text { get; init; }

    /// <summary>The officers' 警号, distinct.</summary>
    public required IReadOnlyList<string> SignedBy { get; init; }

    /// <summary>The scanned or signed document, stored by its SHA-256.</summary>
    public string? DocumentSha256 { get; init; }
}

public sealed record CaseRegisteredPayload
{
    public required string CaseNumber { get; init; }

    /// <summary>案由.</summary>
    public required string Cause { get; init; }

    public IReadOnlyList<string> Parties { get; init; } = [];
}

public sealed record ActionRecordedPayload
{
    public required string CaseNumber { get; init; }

    /// <summary>e.g. on-site-inspection, sealing, sampling (R12).</summary>
    public required string ActionType { get; init; }

    public required IReadOnlyList<string> Officers { get; init; }

    public string? Place { get; init; }

    /// <summary>UTC ISO 8601.</summary>
    public required string Start { get; init; }

    public required string End { get; init; }

    /// <summary>R16: started before approval because of an emergency; approval due within the profile's hours.</summary>
    public bool Emergency { get; init; }
}

/// <summary>Payload of ClipLinked and ClipUnlinked.</summary>
public sealed record ClipLinkPayload
{
    public required string Sha256 { get; init; }

    public required string CaseNumber { get; init; }

    /// <summary>The action whose officers and time matched, for automatic links.</summary>
    public long? ActionIndex { get; init; }

    public bool Automatic { get; init; }
}

public sealed record PolicySelectedPayload(string ProfileId, string? PreviousProfileId);

/// <summary>R1 exception (001 §21, 002 §13): who was away, why, and when they returned to the agency.</summary>
public sealed record RemoteEnforcementDeclaredPayload(string OfficerId, string Reason, string From, string ReturnedAt);

public sealed record MatterEndedPayload(string CaseNumber, string EndedAt);

public sealed record CaseArchivedPayload(string CaseNumber, string ArchivedAt);

public sealed record ActionApprovedPayload(string CaseNumber, long ActionIndex, string ApprovedAt, string? Opinion);

/// <summary>R11: an action that was not recorded, why, and on what basis.</summary>
public sealed record WorkRecordFiledPayload(string OfficerId, string Reason, string Basis, string At);

public sealed record WorkRecordReviewedPayload(long RecordIndex, string Opinion);

/// <summary>R6: kind is trigger (with the trigger name), legal-hold, or evidence; subject is case:N or clip:SHA.</summary>
public sealed record RetentionFactPayload(string Kind, string Subject, string? Trigger, string? Note);

/// <summary>R6: the retention class a clip moved to; From is what it was.</summary>
/// <param name="LockedUntil">Where the store locks originals (S3 object lock): the COMPLIANCE retention now in force, UTC ISO 8601.</param>
public sealed record RetentionExtendedPayload(string Sha256, string From, string To, string Because, string? LockedUntil = null);

/// <summary>Payload of ClipForwarded: which local custody entry went where, and the central entry that took it.</summary>
public sealed record ClipForwardedPayload(long IngestIndex, string Sha256, string Api, long CentralLedgerIndex);

public sealed record RoleGrantedPayload(string User, string Role);

/// <summary>R8/R9: what is to leave the agency and why; Clips are SHA-256 hex, in the order they will be exported.</summary>
public sealed record ExportRequestedPayload(string CaseNumber, IReadOnlyList<string> Clips, string Reason);

/// <summary>
/// R8: the approval of one request, by a holder of the profile's approver role.
/// <paramref name="ApproverTrail"/>: the newest entry about the approver (<c>user:&lt;id&gt;</c>: their account and role
/// facts) when approving, so a court can follow that trail back to the grant of the role (issue 18 §7).
/// </summary>
public sealed record ExportApprovedPayload(long RequestIndex, string Role, string? Opinion, TrailHead? ApproverTrail = null);

/// <summary>An entry a trail is followed back from: its index and leaf hash (hex).</summary>
public sealed record TrailHead(long Index, string LeafHash);

/// <summary>The one JSON shape of payloads: camelCase, compact, nulls omitted.</summary>
public static class PayloadJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize<T>(T payload) => JsonSerializer.SerializeToUtf8Bytes(payload, Options);

    public static T Deserialize<T>(byte[] payload) =>
        JsonSerializer.Deserialize<T>(payload, Options) ?? throw new FormatException($"Empty {typeof(T).Name} payload.");
}
