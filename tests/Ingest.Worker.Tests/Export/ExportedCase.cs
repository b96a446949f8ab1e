using System.Text.Json;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>
/// One real export, made once for the tampering tests: an emulated camera with an interrupted
/// recording, docked and probed, a case with an action and a signed written explanation (with its
/// scanned document), an approved request, and `custody export` with an RFC 3161 stamp from a local
/// TSA and a consistency proof from an earlier checkpoint, so every optional file is present.
/// </summary>
public sealed class ExportedCase : IDisposable
{
    public const string CaseNumber = "冀执罚〔2026〕8号";

    private readonly Scenario _scenario = new();
    private readonly LocalTimestampAuthority _tsa = new();

    public ExportedCase()
    {
        Clips = _scenario.Dock("clip:3", "gap:300", "clip:3");
        _scenario.Drain().ExitCode.Should().Be(0);
        Must(_scenario.Custody("policy", "set", "--profile", "hebei-street-office", "--reason", "set-up", "--by", "admin"));
        Must(_scenario.Custody("case", "register", "--number", CaseNumber, "--cause", "占道经营", "--party", "张三", "--by", "clerk01"));
        Must(_scenario.Custody("case", "action", "--number", CaseNumber, "--type", "on-site-inspection", "--officer", "123456",
            "--place", "某街道菜市场东口", "--start", RunDates.Local("08:00:00"), "--end", RunDates.Local("11:00:00"), "--by", "clerk01"));
        Document = Path.Combine(_scenario.Work, "written.pdf");
        File.WriteAllBytes(Document, "%PDF-1.4 signed written explanation (scan)\n"u8.ToArray());
        Must(_scenario.Custody("case", "explain", "--resumed", Scenario.Sha(Clips[1]), "--previous", Scenario.Sha(Clips[0]), "--category", "low-battery",
            "--text", "电池耗尽，更换电池后继续录制", "--signed-by", "123456", "--signed-by", "234567", "--document", Document, "--by", "clerk01"));
        EarlierCheckpoint = Path.Combine(_scenario.Work, "court-held-checkpoint.txt");
        File.Copy(Directory.EnumerateFiles(Path.Combine(_scenario.Data, "objects", "checkpoints")).Order(StringComparer.Ordinal).Skip(1).First(), EarlierCheckpoint);
        Must(_scenario.Custody("role", "grant", "--user", "boss", "--role", "agency-head", "--reason", "appointed head of the office", "--by", "admin"));
        Request = long.Parse(Must(_scenario.Custody("export", "request", "--case", CaseNumber, "--reason", "提交某区人民法院（2026）冀0102行初15号，证明当事人占道经营", "--by", "clerk01"))
            .Output.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Must(_scenario.Custody("role", "grant", "--user", "legal01", "--role", "reviewer", "--reason", "legal affairs of the office", "--by", "admin"));
        Must(_scenario.Custody("review", "--request", Request.ToString(System.Globalization.CultureInfo.InvariantCulture), "--opinion", "证据齐全，建议提供", "--by", "legal01"));
        Must(_scenario.Custody("export", "approve", "--request", Request.ToString(System.Globalization.CultureInfo.InvariantCulture), "--by", "boss"));
        Package = Path.Combine(_scenario.Work, "export-1");
        Result = JsonDocument.Parse(Must(_scenario.Custody("export", "--case", CaseNumber, "--out", Package, "--iso", "--tsa", _tsa.Url,
            "--since-checkpoint", EarlierCheckpoint, "--json")).Output).RootElement;
        VerifierKey = Must(_scenario.Custody("key")).Output.Trim().Split('\n')[0].Trim();
    }

    internal Scenario Scenario => _scenario;

    public List<JsonElement> Clips { get; }

    public string Document { get; }

    public string EarlierCheckpoint { get; }

    public long Request { get; }

    public string Package { get; }

    public JsonElement Result { get; }

    public string VerifierKey { get; }

    public string TsaCertificateSha256 => _tsa.CertificateSha256;

    public string TsaUrl => _tsa.Url;

    /// <summary>A new empty folder for one test's files, removed with the export when the tests end.</summary>
    public string Scratch(string prefix)
    {
        var path = Path.Combine(_scenario.Work, "scratch", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>A private copy of the package directory to damage.</summary>
    public string CopyPackage()
    {
        var target = Path.Combine(Scratch("tamper"), "package");
        foreach (var file in Directory.EnumerateFiles(Package, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(Package, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        return target;
    }

    public void Dispose()
    {
        _tsa.Dispose();
        _scenario.Dispose();
    }

    internal static Tools.Result Must(Tools.Result result)
    {
        result.ExitCode.Should().Be(0, result.Error);
        return result;
    }
}
