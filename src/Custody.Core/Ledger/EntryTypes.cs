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
}

/// <summary>Subject names: a kind prefix and the identifier.</summary>
public static class Subjects
{
    public const string Vault = "vault";

    public static string Clip(Sha256Digest sha256) => "clip:" + sha256.ToHex();

    public static string Device(string serial) => "device:" + serial;

    public static string Case(string caseNumber) => "case:" + caseNumber;
}
