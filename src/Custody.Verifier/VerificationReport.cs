using System.Text;

namespace EvidenceVault.Custody.Verifier;

/// <summary>One check of an export, named in Chinese and English, with what was found.</summary>
public sealed record Check(string Zh, string En, bool Ok, string Detail);

/// <summary>Everything the verifier checked; the package holds only if every check holds.</summary>
public sealed class VerificationReport(string package)
{
    private readonly List<Check> _checks = [];

    public string Package { get; } = package;

    public IReadOnlyList<Check> Checks => _checks;

    public bool Ok => _checks.Count > 0 && _checks.All(c => c.Ok);

    public string? CaseNumber { get; internal set; }

    public int Clips { get; internal set; }

    public int Entries { get; internal set; }

    public long? TreeSize { get; internal set; }

    public string? KeyFingerprint { get; internal set; }

    /// <summary>
    /// The court gave the agency's key (--key) and the package's equals it. Without it every check can
    /// hold for a package re-signed end to end with another key: it is then only self-consistent.
    /// </summary>
    public bool KeyPinned { get; internal set; }

    /// <summary>How many pinned witnesses cosigned the package's checkpoint (0 when none was pinned).</summary>
    public int WitnessesCosigned { get; internal set; }

    public TimestampFacts? Timestamp { get; internal set; }

    internal void Pass(string zh, string en, string detail = "") => _checks.Add(new Check(zh, en, true, detail));

    internal void Fail(string zh, string en, string detail) => _checks.Add(new Check(zh, en, false, detail));

    internal bool Expect(bool condition, string zh, string en, string detail, string failure)
    {
        if (condition)
        {
            Pass(zh, en, detail);
        }
        else
        {
            Fail(zh, en, failure);
        }

        return condition;
    }

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine($"证据导出包校验 / Export verification: {Package}");
        if (CaseNumber is not null)
        {
            text.AppendLine($"案件 / case: {CaseNumber}   文件 / clips: {Clips}   记录 / custody entries: {Entries}   检查点 / checkpoint size: {TreeSize}");
        }

        if (KeyFingerprint is not null)
        {
            text.AppendLine($"公钥指纹 / key fingerprint (SHA-256): {KeyFingerprint}");
        }

        if (Timestamp is not null)
        {
            text.AppendLine($"可信时间戳 / RFC 3161 time: {Timestamp.Time:yyyy-MM-dd'T'HH:mm:ss'Z'} by {Timestamp.Authority}");
        }

        foreach (var check in _checks)
        {
            text.AppendLine($"{(check.Ok ? "通过 ok  " : "失败 FAIL")}  {check.Zh} / {check.En}{(check.Detail.Length > 0 ? ": " + check.Detail : string.Empty)}");
        }

        text.AppendLine(!Ok ? "结论：校验未通过 / RESULT: the package does NOT hold"
            : KeyPinned ? "结论：完整、未被篡改 / RESULT: the package holds"
            : $"结论：仅自洽，公钥未核对 / RESULT: the package is only self-consistent: no key was pinned. Confirm key fingerprint {KeyFingerprint} with the agency, then run again with --key");
        return text.ToString();
    }
}
