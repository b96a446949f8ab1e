namespace EvidenceVault.Custody.Ledger;

/// <summary>Ledger entry types: past-tense facts.</summary>
public static class EntryTypes
{
    /// <summary>The first entry of every ledger: origin and signing key of the vault.</summary>
    public const string VaultCreated = "VaultCreated";

    /// <summary>An original landed in verified custody (R1, R5).</summary>
    public const string ClipIngested = "ClipIngested";

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
}

/// <summary>Subject names: a kind prefix and the identifier.</summary>
public static class Subjects
{
    public const string Vault = "vault";

    public static string Clip(Sha256Digest sha256) => "clip:" + sha256.ToHex();

    public static string Device(string serial) => "device:" + serial;

    public static string Case(string caseNumber) => "case:" + caseNumber;
}
