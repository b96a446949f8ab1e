namespace EvidenceVault.Custody.Ingest;

/// <summary>Why a clerk should look at a clip. A flagged clip is still stored, hashed and ledgered.</summary>
public static class ClipFlags
{
    /// <summary>The name does not follow the device profile; device, officer and start come from the dock instead.</summary>
    public const string UnparsedName = "unparsed-name";

    public const string Empty = "empty";

    /// <summary>The size read differs from the size listed when docked (still being written, or altered).</summary>
    public const string ChangedWhileRead = "changed-while-read";

    /// <summary>The serial in the name is not the docked camera's serial.</summary>
    public const string SerialMismatch = "serial-mismatch";

    /// <summary>The camera's clock was further off than GA/T 947.2's drift allowance since its last dock.</summary>
    public const string ClockOffsetExceedsAllowance = "clock-offset-exceeds-allowance";

    /// <summary>The name on the camera is not valid UTF-8: recorded with each such byte as <c>\xNN</c>.</summary>
    public const string NameNotUtf8 = "name-not-utf8";

    /// <summary>
    /// An earlier original in custody came from the same device under the same name with other bytes:
    /// the camera re-used the name (after a wipe) or the file was replaced. Both originals are kept.
    /// </summary>
    public const string NameReused = "name-reused";

    /// <summary>Every flag a dock or the vault may set; a station sending another is refused (issue 21).</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        UnparsedName, Empty, ChangedWhileRead, SerialMismatch, ClockOffsetExceedsAllowance, NameNotUtf8, NameReused,
    };
}
