using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EvidenceVault.Custody.Verifier;

/// <summary>
/// The certified export package (docs/export-format.md): its file names and the JSON it carries.
/// The exporter writes these types and the verifier reads them, so the two cannot drift apart.
/// </summary>
public static class PackageLayout
{
    public const int FormatVersion = 1;
    public const string Readme = "README.txt";
    public const string Manifest = "manifest.json";
    public const string SheetHtml = "sheet/explanation.html";
    public const string SheetPdf = "sheet/explanation.pdf";
    public const string OriginalsFolder = "originals/";
    public const string DocumentsFolder = "documents/";
    public const string VerifierKey = "custody/verifier-key.txt";
    public const string Checkpoint = "custody/checkpoint.txt";
    public const string Entries = "custody/entries.txt";
    public const string SinceCheckpoint = "custody/since-checkpoint.txt";
    public const string Consistency = "custody/consistency.txt";
    public const string Timestamp = "custody/timestamp.tst";
    public const string TimestampedCheckpoint = "custody/timestamped-checkpoint.txt";
    public const string TimestampConsistency = "custody/timestamp-consistency.txt";

    /// <summary>Witnesses' cosignature lines (c2sp.org/tlog-cosignature) over the body of <see cref="Checkpoint"/>.</summary>
    public const string Cosignatures = "custody/cosignatures.txt";

    /// <summary>Ledger entry type of the export itself; its payload is <see cref="EvidenceExportedPayload"/>.</summary>
    public const string ExportEntryType = "EvidenceExported";

    /// <summary>Ledger entry type that binds an RFC 3161 token to the export; its payload is <see cref="ExportTimestampedPayload"/>.</summary>
    public const string TimestampEntryType = "ExportTimestamped";

    public static string Original(string sha256) => OriginalsFolder + sha256;

    public static string Document(string sha256) => DocumentsFolder + sha256;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };
}

/// <summary>
/// Payload of the ledger entry that records an export. Its subjects are the case and every exported
/// clip, each linked to the previous entry about it: the start of the completeness chains. The
/// files it names by SHA-256 are those no other part of the package certifies.
/// </summary>
public sealed record EvidenceExportedPayload(
    string ExportId,
    string CaseNumber,
    IReadOnlyList<string> Clips,
    long RequestIndex,
    long ApprovalIndex,
    IReadOnlyList<PackageFileDigest> Files);

public sealed record PackageFileDigest(string Path, string Sha256);

/// <summary>
/// Payload of the entry that follows an export when a TSA stamped it: the stamped checkpoint's size
/// (the one the export entry first appeared in) and the SHA-256 of the token, so the token's every
/// byte is vouched for by the ledger. Its one subject is the case, linked to the export entry.
/// </summary>
public sealed record ExportTimestampedPayload(string ExportId, long CheckpointSize, string TokenSha256, string Authority);

/// <summary>manifest.json: what was exported, and the facts about it a court asks for (R9).</summary>
public sealed record ExportManifest
{
    public int FormatVersion { get; init; } = PackageLayout.FormatVersion;

    public required string ExportId { get; init; }

    /// <summary>UTC, ISO 8601.</summary>
    public required string ExportedAt { get; init; }

    /// <summary>The same instant in Asia/Shanghai.</summary>
    public required string ExportedAtLocal { get; init; }

    public required string Agency { get; init; }

    public required string PolicyProfile { get; init; }

    /// <summary>The ledger's name (checkpoint origin).</summary>
    public required string Origin { get; init; }

    public required string VerifierKey { get; init; }

    /// <summary>SHA-256 of the Ed25519 public key, hex.</summary>
    public required string KeyFingerprint { get; init; }

    public required string RequestedBy { get; init; }

    public required string ApprovedBy { get; init; }

    public required string ApproverRole { get; init; }

    public required string Reason { get; init; }

    public required long RequestIndex { get; init; }

    public required long ApprovalIndex { get; init; }

    public required ManifestCase Case { get; init; }

    public required IReadOnlyList<ManifestClip> Clips { get; init; }

    public IReadOnlyList<ManifestDocument> Documents { get; init; } = [];
}

public sealed record ManifestCase
{
    public required string Number { get; init; }

    /// <summary>案由.</summary>
    public required string Cause { get; init; }

    public IReadOnlyList<string> Parties { get; init; } = [];

    public IReadOnlyList<ManifestAction> Actions { get; init; } = [];
}

public sealed record ManifestAction
{
    public required long LedgerIndex { get; init; }

    public required string Type { get; init; }

    public required IReadOnlyList<string> Officers { get; init; }

    public string? Place { get; init; }

    public required string Start { get; init; }

    public required string End { get; init; }

    public required string StartLocal { get; init; }

    public required string EndLocal { get; init; }

    public bool Emergency { get; init; }
}

public sealed record ManifestClip
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    /// <summary>Path of the original inside the package.</summary>
    public required string File { get; init; }

    /// <summary>Names on the camera, verbatim (untrusted; never used as paths).</summary>
    public required IReadOnlyList<string> CameraFileNames { get; init; }

    public string? DeviceSerial { get; init; }

    public string? OfficerId { get; init; }

    public string? OfficerName { get; init; }

    public string? UnitId { get; init; }

    public string? UnitName { get; init; }

    public string? Station { get; init; }

    public required long IngestIndex { get; init; }

    public required string IngestedAt { get; init; }

    /// <summary>Start as the camera's clock read it, camera local time, no offset.</summary>
    public string? RecordedStartCamera { get; init; }

    public string? RecordedEndCamera { get; init; }

    public string? CameraTimeZone { get; init; }

    /// <summary>Camera clock minus dock clock when docked, seconds.</summary>
    public double? ClockOffsetSeconds { get; init; }

    /// <summary>Clock-corrected start and end, UTC and Asia/Shanghai.</summary>
    public string? RecordedStartUtc { get; init; }

    public string? RecordedEndUtc { get; init; }

    public string? RecordedStartLocal { get; init; }

    public string? RecordedEndLocal { get; init; }

    public double? DurationSeconds { get; init; }

    public ManifestProbe? Probe { get; init; }

    public IReadOnlyList<string> Flags { get; init; } = [];

    public IReadOnlyList<ManifestInterruption> Interruptions { get; init; } = [];
}

public sealed record ManifestProbe
{
    public required string Result { get; init; }

    public string? Container { get; init; }

    public string? VideoCodec { get; init; }

    public string? AudioCodec { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public double? FrameRate { get; init; }

    public string? CreationTime { get; init; }

    public string? ProbeDigest { get; init; }

    public string? Error { get; init; }

    public int Discontinuities { get; init; }
}

public sealed record ManifestInterruption
{
    public required string Kind { get; init; }

    public required string PreviousClip { get; init; }

    public required string ResumedClip { get; init; }

    public required string GapStartUtc { get; init; }

    public required string GapEndUtc { get; init; }

    public required double Seconds { get; init; }

    /// <summary>Spoken explanation on resuming: detected, not-detected, no-audio, not-required.</summary>
    public required string Spoken { get; init; }

    public double? SpeechLevelSpreadDb { get; init; }

    public double? SpeechMeanLevelDb { get; init; }

    public bool? SpeechHeardByReviewer { get; init; }

    public string? SpeechReviewer { get; init; }

    /// <summary>present, missing or not-required.</summary>
    public required string Written { get; init; }

    public ManifestWrittenExplanation? WrittenExplanation { get; init; }

    public required bool Explained { get; init; }
}

public sealed record ManifestWrittenExplanation
{
    public required long LedgerIndex { get; init; }

    public required string Category { get; init; }

    public required string Text { get; init; }

    public required IReadOnlyList<string> SignedBy { get; init; }

    public string? DocumentSha256 { get; init; }
}

public sealed record ManifestDocument
{
    public required string Sha256 { get; init; }

    public required long Size { get; init; }

    public required string File { get; init; }

    public required string Kind { get; init; }

    public required long LedgerIndex { get; init; }
}
