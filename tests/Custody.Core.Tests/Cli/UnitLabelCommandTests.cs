using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody unit (R8, 004 §28: access by level) and custody label (R10: confidentiality), through the CLI.</summary>
public sealed class UnitLabelCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-units");
    private readonly string _camera;
    private readonly string _data;
    private int _clips;

    public UnitLabelCommandTests()
    {
        _camera = Path.Combine(_work, "camera");
        _data = Path.Combine(_work, "data");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Units_FormATree_AndAClipBelongsToTheUnitItsOfficerWasInWhenDocked()
    {
        var before = Dock();
        Tools.CustodyOk(_data, "unit", "create", "--id", "east", "--name", "东城分局", "--reason", "organisation", "--by", "admin");
        Tools.CustodyOk(_data, "unit", "create", "--id", "east-1", "--name", "东城一所", "--parent", "east", "--reason", "organisation", "--by", "admin");
        Tools.CustodyOk(_data, "unit", "create", "--id", "west", "--name", "西城分局", "--reason", "organisation", "--by", "admin");
        Tools.CustodyFails(_data, "unit", "create", "--id", "east", "--name", "again", "--reason", "x", "--by", "admin").Should().Contain("exists");
        Tools.CustodyFails(_data, "unit", "create", "--id", "north-1", "--name", "北城一所", "--parent", "north", "--reason", "x", "--by", "admin").Should().Contain("No unit north");
        Tools.CustodyFails(_data, "unit", "assign", "--user", "123456", "--unit", "south", "--reason", "x", "--by", "admin").Should().Contain("No unit south");
        Tools.CustodyOk(_data, "unit", "assign", "--user", "123456", "--unit", "east-1", "--reason", "posted to 东城一所", "--by", "admin");
        var inEast = Dock();
        Tools.CustodyOk(_data, "unit", "assign", "--user", "123456", "--unit", "west", "--reason", "transferred", "--by", "admin");
        var inWest = Dock();

        var units = JsonDocument.Parse(Tools.CustodyOk(_data, "unit", "list", "--json")).RootElement.GetProperty("units").EnumerateArray().ToList();
        units.Select(u => (u.GetProperty("id").GetString(), u.TryGetProperty("parent", out var p) ? p.GetString() : null))
            .Should().Equal([("east", null), ("east-1", "east"), ("west", null)]);
        units.Single(u => u.GetProperty("id").GetString() == "west").GetProperty("members").EnumerateArray().Select(m => m.GetString()).Should().Equal(["123456"]);
        Tools.CustodyOk(_data, "unit", "list").Should().Contain("东城一所");
        var ingested = Log().Where(e => e.GetProperty("type").GetString() == "ClipIngested").ToDictionary(e => e.GetProperty("payload").GetProperty("sha256").GetString()!, e => e.GetProperty("payload"));
        ingested[before].TryGetProperty("unit", out _).Should().BeFalse("docked before the officer was in a unit: the agency's own");
        ingested[inEast].GetProperty("unit").GetString().Should().Be("east-1");
        ingested[inWest].GetProperty("unit").GetString().Should().Be("west", "the officer had moved; the earlier clip stays where it was docked");

        // R7 by unit: a unit's clips and its subunits'.
        Clips("--unit", "east").Select(c => (c.GetProperty("sha256").GetString(), c.GetProperty("unit").GetString())).Should().Equal([(inEast, "east-1")]);
        Clips("--unit", "west", "--limit", "10").Select(c => c.GetProperty("sha256").GetString()).Should().Equal([inWest]);
        Clips().Single(c => c.GetProperty("sha256").GetString() == before).TryGetProperty("unit", out _).Should().BeFalse();
        var unknown = Tools.Dotnet("custody", ["clips", "--data", _data, "--unit", "south"]);
        unknown.ExitCode.Should().NotBe(0);
        unknown.Error.Should().Contain("No unit south");
    }

    [Fact]
    public void ALabel_IsSetByASupervisorOverTheClip_AndNarrowsWhoMayCopyOrExportIt()
    {
        Dock();
        Tools.CustodyOk(_data, "unit", "create", "--id", "east", "--name", "东城分局", "--reason", "organisation", "--by", "admin");
        Tools.CustodyOk(_data, "unit", "create", "--id", "east-1", "--name", "东城一所", "--parent", "east", "--reason", "organisation", "--by", "admin");
        Tools.CustodyOk(_data, "unit", "create", "--id", "west", "--name", "西城分局", "--reason", "organisation", "--by", "admin");
        Tools.CustodyOk(_data, "unit", "assign", "--user", "123456", "--unit", "east-1", "--reason", "posted", "--by", "admin");
        var sha = Dock();
        Person("clerk01", "east-1", "clerk");
        Person("clerk02", "west", "clerk");
        Person("s-e", "east", "supervisor");
        Person("s-w", "west", "supervisor");
        Person("head01", null, "agency-head");

        Tools.CustodyFails(_data, "label", "set", "--clip", sha, "--label", "personal-privacy", "--reason", "未成年人", "--by", "clerk01").Should().Contain("supervisor");
        Tools.CustodyFails(_data, "label", "set", "--clip", sha, "--label", "personal-privacy", "--reason", "未成年人", "--by", "s-w").Should().Contain("东城一所 (east-1)");
        Tools.CustodyFails(_data, "label", "set", "--clip", sha, "--label", "secret", "--reason", "x", "--by", "s-e").Should().Contain("state-secret, trade-secret, personal-privacy");
        Tools.CustodyOk(_data, "label", "set", "--clip", sha, "--label", "personal-privacy", "--reason", "未成年人", "--by", "s-e");
        JsonDocument.Parse(Tools.CustodyOk(_data, "label", "list", "--json")).RootElement.GetProperty("labelled").EnumerateArray().Single().GetProperty("labels").EnumerateArray().Select(l => l.GetString())
            .Should().Equal(["personal-privacy"]);

        // A copy for a party: the requester must see the clip and be cleared; the copier see its bytes, cleared.
        Tools.CustodyFails(_data, "copy", "request", "--clip", sha, "--party", "张三", "--reason", "申请复制", "--by", "clerk01").Should().Contain("clearance:personal-privacy");
        Tools.CustodyOk(_data, "role", "grant", "--user", "clerk02", "--role", "clearance:personal-privacy", "--reason", "cleared", "--by", "admin");
        Tools.CustodyFails(_data, "copy", "request", "--clip", sha, "--party", "张三", "--reason", "申请复制", "--by", "clerk02").Should().Contain("is recorded for 东城一所 (east-1)", "cleared, but not of the clip's unit");
        Tools.CustodyOk(_data, "role", "grant", "--user", "clerk01", "--role", "clearance:personal-privacy", "--reason", "cleared", "--by", "admin");
        var request = Tools.CustodyOk(_data, "copy", "request", "--clip", sha, "--party", "张三", "--reason", "申请复制", "--by", "clerk01").Split(' ')[^1];
        Person("legal01", null, "reviewer");
        Tools.CustodyOk(_data, "review", "--request", request, "--opinion", "同意", "--by", "legal01");
        Tools.CustodyFails(_data, "copy", "approve", "--request", request, "--by", "head01").Should().Contain("clearance:personal-privacy");
        Tools.CustodyOk(_data, "role", "grant", "--user", "head01", "--role", "clearance:personal-privacy", "--reason", "cleared", "--by", "admin");
        Tools.CustodyOk(_data, "copy", "approve", "--request", request, "--by", "head01");
        Tools.CustodyFails(_data, "copy", "make", "--request", request, "--out", Path.Combine(_work, "copy-w"), "--by", "clerk02").Should().Contain("bytes are for a clerk of its unit");
        Tools.CustodyOk(_data, "copy", "make", "--request", request, "--out", Path.Combine(_work, "copy"), "--by", "clerk01");
        File.Exists(Path.Combine(_work, "copy", sha + ".mp4")).Should().BeTrue();

        // A secret on the case covers the clip: never copied for a party, exported only by the cleared.
        Tools.CustodyOk(_data, "case", "register", "--number", "东执罚〔2026〕9号", "--cause", "噪声扰民", "--by", "admin");
        Tools.CustodyOk(_data, "case", "link", "--number", "东执罚〔2026〕9号", "--clip", sha, "--reason", "录像", "--by", "admin");
        Tools.CustodyOk(_data, "label", "set", "--case", "东执罚〔2026〕9号", "--label", "trade-secret", "--reason", "涉及商业秘密", "--by", "s-e");
        Tools.CustodyFails(_data, "copy", "request", "--clip", sha, "--party", "张三", "--reason", "再次申请", "--by", "clerk01").Should().Contain("excepts secrets");
        Tools.CustodyFails(_data, "export", "request", "--case", "东执罚〔2026〕9号", "--reason", "法院调取", "--by", "clerk01").Should().Contain("clearance:trade-secret");
        Tools.CustodyFails(_data, "label", "clear", "--case", "东执罚〔2026〕9号", "--label", "trade-secret", "--reason", "解密", "--by", "s-e").Should().Contain("cannot clear");

        var log = Log();
        log.Where(e => e.GetProperty("type").GetString() == "AccessRefused").Select(e => e.GetProperty("payload").GetProperty("action").GetString())
            .Should().Equal(["SetLabel", "SetLabel", "RequestCopy", "RequestCopy", "ApproveCopy", "MakeCopy", "RequestCopy", "RequestExport", "ClearLabel"], "each refusal is a fact");
        log.Where(e => e.GetProperty("type").GetString() is "LabelSet" or "LabelCleared").Select(e => (e.GetProperty("actor").GetString(), e.GetProperty("reason").GetString()))
            .Should().Equal([("user:s-e", "未成年人"), ("user:s-e", "涉及商业秘密")]);
    }

    private void Person(string id, string? unit, string role)
    {
        Tools.CustodyOk(_data, "role", "grant", "--user", id, "--role", role, "--reason", "set-up", "--by", "admin");
        if (unit is not null)
        {
            Tools.CustodyOk(_data, "unit", "assign", "--user", id, "--unit", unit, "--reason", "set-up", "--by", "admin");
        }
    }

    /// <summary>One more clip by officer 123456 on the camera, docked; its SHA-256.</summary>
    private string Dock()
    {
        var folder = Path.Combine(_camera, "DCIM");
        Directory.CreateDirectory(folder);
        var bytes = RandomNumberGenerator.GetBytes(2_000 + ++_clips);
        File.WriteAllBytes(Path.Combine(folder, $"A1B2C3D_123456_{RunDates.Compact}08{_clips:D2}00_{_clips:D4}.MP4"), bytes);
        Tools.Dotnet("deviceagent", ["ingest", _camera, "--data", _data], new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "hebei-street-office" }).ExitCode.Should().Be(0);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private List<JsonElement> Clips(params string[] filters) => [.. Tools.Dotnet("custody", ["clips", "--data", _data, "--json", .. filters]).JsonLines()];

    private List<JsonElement> Log() => [.. Tools.Dotnet("custody", ["log", "--data", _data, "--json"]).JsonLines()];
}
