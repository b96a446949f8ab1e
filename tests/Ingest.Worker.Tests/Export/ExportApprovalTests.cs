using System.Text.Json;
using System.Text.Json.Nodes;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>R8: an export leaves the agency only on a request approved by another person who holds the profile's approver role.</summary>
public sealed class ExportApprovalTests : IDisposable
{
    private const string Case = "长公（治）罚决字〔2026〕31号";
    private readonly Scenario _scenario = new();

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public void Export_NeedsAnApprovalByAnotherHolderOfTheProfilesApproverRole_AndEachApprovalServesOneExport()
    {
        var clips = SetUpCase("changzhi-police");
        var outside = Path.Combine(_scenario.Work, "never");

        var unapproved = _scenario.Custody("export", "--case", Case, "--out", outside);
        unapproved.ExitCode.Should().Be(1);
        unapproved.Error.Should().Contain("No approved").And.Contain("county-level-head").And.Contain("004 §33");
        Directory.Exists(outside).Should().BeFalse();

        var stray = _scenario.Custody("export", "request", "--case", Case, "--clips", new string('a', 64), "--reason", "court", "--by", "clerk01");
        stray.ExitCode.Should().Be(1);
        stray.Error.Should().Contain("is not linked to case");

        var request = Request();
        var self = _scenario.Custody("export", "approve", "--request", request, "--by", "clerk01");
        self.ExitCode.Should().Be(1);
        self.Error.Should().Contain("clerk01 requested export").And.Contain("cannot approve");

        var noRole = _scenario.Custody("export", "approve", "--request", request, "--by", "deputy");
        noRole.ExitCode.Should().Be(1);
        noRole.Error.Should().Contain("does not hold the role 'county-level-head'");

        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "deputy", "--role", "county-level-head", "--reason", "appointed", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("export", "approve", "--request", request, "--opinion", "同意提供", "--by", "deputy"));
        _scenario.Custody("export", "approve", "--request", request, "--by", "deputy").Error.Should().Contain("already approved");

        ExportedCase.Must(_scenario.Custody("export", "--case", Case, "--out", Path.Combine(_scenario.Work, "first")));
        var again = _scenario.Custody("export", "--case", Case, "--out", Path.Combine(_scenario.Work, "second"));
        again.ExitCode.Should().Be(1, "one approval serves one export");
        again.Error.Should().Contain("No approved");
        _scenario.Entries("EvidenceExported").Should().ContainSingle().Which.GetProperty("payload").GetProperty("clips").GetArrayLength().Should().Be(clips.Count);
    }

    [Fact]
    public void Approve_ByAUserWhoseRoleIsOnlyARowWrittenWithSql_IsRefused()
    {
        // Issue 18 §1: the role rests on the RoleGranted entry the row names, proven in the signed tree,
        // never on the row. Two forgeries: a row pointing at another user's genuine grant, and one at no grant at all.
        SetUpCase("changzhi-police");
        var request = Request();
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "deputy", "--role", "county-level-head", "--reason", "appointed", "--by", "admin"));
        var genuine = _scenario.Entries("RoleGranted").Single().GetProperty("index").GetInt64();
        CatalogSql.Run(_scenario.Data, $"INSERT INTO role_grant VALUES('mallory', 'county-level-head', {genuine})");
        CatalogSql.Run(_scenario.Data, $"INSERT INTO role_grant VALUES('eve', 'county-level-head', {long.Parse(request, System.Globalization.CultureInfo.InvariantCulture)})");

        var mallory = _scenario.Custody("export", "approve", "--request", request, "--by", "mallory");
        var eve = _scenario.Custody("export", "approve", "--request", request, "--by", "eve");

        mallory.ExitCode.Should().Be(1, mallory.Output);
        mallory.Error.Should().Contain("does not hold the role 'county-level-head'");
        eve.ExitCode.Should().Be(1, eve.Output);
        eve.Error.Should().Contain("does not hold the role 'county-level-head'");
        _scenario.Entries("ExportApproved").Should().BeEmpty();
        ExportedCase.Must(_scenario.Custody("export", "approve", "--request", request, "--by", "deputy")); // the genuine holder still approves
    }

    [Fact]
    public void Export_WhenATimelineRowWasEditedWithSql_IsRefusedAndNothingIsWritten()
    {
        // Issue 18 §3: the manifest is built from derived rows; a shortened clip would hide an interruption from the court.
        SetUpCase("changzhi-police");
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "deputy", "--role", "county-level-head", "--reason", "appointed", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("export", "approve", "--request", Request(), "--by", "deputy"));
        CatalogSql.Run(_scenario.Data, "UPDATE clip_timeline SET length_ns = 1");
        var package = Path.Combine(_scenario.Work, "forged");

        var export = _scenario.Custody("export", "--case", Case, "--out", package);

        export.ExitCode.Should().Be(1, export.Output);
        export.Error.Should().Contain("derived table clip_timeline differs").And.Contain("rebuild-catalog");
        Directory.Exists(package).Should().BeFalse();
        _scenario.Entries("EvidenceExported").Should().BeEmpty();
    }

    [Fact]
    public void TwoExportsOfTheSameCase_DifferOnlyInWhatMustDiffer()
    {
        SetUpCase("jiaozuo-emergency");
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "head", "--role", "bureau-leadership", "--reason", "appointed", "--by", "admin"));
        var packages = new[] { "a", "b" }.Select(name =>
        {
            ExportedCase.Must(_scenario.Custody("export", "approve", "--request", Request(), "--by", "head"));
            var path = Path.Combine(_scenario.Work, name);
            ExportedCase.Must(_scenario.Custody("export", "--case", Case, "--out", path));
            return path;
        }).ToList();

        var files = packages.Select(p => Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(p, f)).Order(StringComparer.Ordinal).ToList()).ToList();
        files[0].Should().Equal(files[1]);
        foreach (var file in files[0].Where(f => f.StartsWith("originals", StringComparison.Ordinal)))
        {
            File.ReadAllBytes(Path.Combine(packages[0], file)).Should().Equal(File.ReadAllBytes(Path.Combine(packages[1], file)));
        }

        // The manifests differ in the export's id, time and approval only.
        var manifests = packages.Select(p => JsonNode.Parse(File.ReadAllText(Path.Combine(p, "manifest.json")))!.AsObject()).ToList();
        manifests[0]["exportId"]!.GetValue<string>().Should().NotBe(manifests[1]["exportId"]!.GetValue<string>());
        foreach (var manifest in manifests)
        {
            foreach (var field in new[] { "exportId", "exportedAt", "exportedAtLocal", "requestIndex", "approvalIndex" })
            {
                manifest.Remove(field).Should().BeTrue();
            }
        }

        manifests[0].ToJsonString().Should().Be(manifests[1].ToJsonString());
    }

    [Fact]
    public void Transfer_HandsTheApprovedPackageToTheOtherBody_WithARecord_AndTheCaseTakesNothingMore()
    {
        // R18 (000 §23): a case moved to another body goes with a transfer record; release outside needs the approval (R8 004 §33).
        var clips = SetUpCase("changzhi-police");
        var package = Path.Combine(_scenario.Work, "to-procuratorate");
        var unapproved = _scenario.Custody("case", "transfer", "--number", Case, "--to", "某区人民检察院", "--out", package, "--reason", "移送审查起诉", "--by", "clerk01");
        unapproved.ExitCode.Should().Be(1);
        unapproved.Error.Should().Contain("No approved");
        _scenario.Entries("CaseTransferred").Should().BeEmpty();

        var request = Request();
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "deputy", "--role", "county-level-head", "--reason", "appointed", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("export", "approve", "--request", request, "--opinion", "同意移送", "--by", "deputy"));
        var result = JsonDocument.Parse(ExportedCase.Must(_scenario.Custody("case", "transfer", "--number", Case, "--to", "某区人民检察院", "--receiver", "王检察官",
            "--out", package, "--reason", "移送审查起诉", "--by", "clerk01", "--json")).Output).RootElement;

        var transferred = _scenario.Entries("CaseTransferred").Should().ContainSingle().Subject;
        var payload = transferred.GetProperty("payload");
        payload.GetProperty("to").GetString().Should().Be("某区人民检察院");
        payload.GetProperty("receiver").GetString().Should().Be("王检察官");
        payload.GetProperty("exportEntry").GetInt64().Should().Be(result.GetProperty("exportEntry").GetInt64());
        payload.GetProperty("clips").EnumerateArray().Select(c => c.GetString()).Should().BeEquivalentTo(clips.Select(Scenario.Sha));
        var key = ExportedCase.Must(_scenario.Custody("key")).Output.Trim().Split('\n')[0].Trim();
        Tools.Dotnet("custody", ["verify-export", result.GetProperty("zip").GetString()!, "--key", key]).ExitCode.Should().Be(0, "the receiving body verifies the package offline");
        var record = File.ReadAllText(result.GetProperty("record").GetString()!);
        record.Should().Contain("某区人民检察院").And.Contain("王检察官").And.Contain(result.GetProperty("manifestSha256").GetString()!);
        clips.Should().OnlyContain(c => record.Contains(Scenario.Sha(c), StringComparison.Ordinal));

        foreach (var args in new[]
        {
            new[] { "case", "action", "--number", Case, "--type", "questioning", "--officer", "123456", "--start", RunDates.Local("08:00:00"), "--end", RunDates.Local("09:00:00"), "--by", "clerk01" },
            ["case", "link", "--number", Case, "--clip", new string('b', 64), "--reason", "late", "--by", "clerk01"],
            ["export", "request", "--case", Case, "--reason", "again", "--by", "clerk01"],
            ["case", "transfer", "--number", Case, "--to", "另一单位", "--out", Path.Combine(_scenario.Work, "twice"), "--reason", "again", "--by", "clerk01"],
        })
        {
            var refused = _scenario.Custody(args);
            refused.ExitCode.Should().Be(1, string.Join(' ', args));
            refused.Error.Should().Contain("was transferred to 某区人民检察院");
        }
    }

    private List<JsonElement> SetUpCase(string profile)
    {
        var clips = _scenario.Dock("clip:2", "clip:2");
        ExportedCase.Must(_scenario.Custody("policy", "set", "--profile", profile, "--reason", "set-up", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("case", "register", "--number", Case, "--cause", "殴打他人", "--by", "clerk01"));
        foreach (var clip in clips)
        {
            ExportedCase.Must(_scenario.Custody("case", "link", "--number", Case, "--clip", Scenario.Sha(clip), "--reason", "recorded the matter", "--by", "clerk01"));
        }

        return clips;
    }

    private string Request() =>
        ExportedCase.Must(_scenario.Custody("export", "request", "--case", Case, "--reason", "移送人民法院", "--by", "clerk01")).Output.Trim().Split(' ')[^1];
}
