using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody inbox (R16): one inbox per person over copies, exports and work records, routed by the profile's roles.</summary>
public sealed class InboxCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-inbox");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void EachRequest_IsInTheInboxOfWhoeverHoldsTheProfilesDecidingRole_NeverTheRequesters_UntilDecided()
    {
        // Jiaozuo: copies by the responsible leader, release outside by the bureau leadership, work records by the head.
        var data = Path.Combine(_work, "data");
        var camera = Path.Combine(_work, "camera", "DCIM");
        Directory.CreateDirectory(camera);
        var bytes = RandomNumberGenerator.GetBytes(2_500);
        File.WriteAllBytes(Path.Combine(camera, $"A1B2C3D_123456_{RunDates.Compact}080100_0001.MP4"), bytes);
        Tools.Dotnet("deviceagent", ["ingest", Path.Combine(_work, "camera"), "--data", data], new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "jiaozuo-emergency" }).ExitCode.Should().Be(0);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        foreach (var (user, role) in new[] { ("clerk01", "clerk"), ("leader01", "responsible-leader"), ("boss01", "bureau-leadership"), ("head01", "agency-head"), ("clerk01", "responsible-leader") })
        {
            Tools.CustodyOk(data, "role", "grant", "--user", user, "--role", role, "--reason", "set-up", "--by", "admin");
        }

        var copy = Tools.CustodyOk(data, "copy", "request", "--clip", sha, "--party", "张三", "--reason", "当事人申请", "--by", "clerk01").Split(' ')[^1];
        Tools.CustodyOk(data, "case", "register", "--number", "焦应急罚〔2026〕4号", "--cause", "安全生产", "--by", "clerk01");
        Tools.CustodyOk(data, "case", "link", "--number", "焦应急罚〔2026〕4号", "--clip", sha, "--reason", "现场检查录像", "--by", "clerk01");
        var export = Tools.CustodyOk(data, "export", "request", "--case", "焦应急罚〔2026〕4号", "--reason", "移送法院", "--by", "clerk01").Split(' ')[^1];
        var workRecord = Tools.CustodyOk(data, "workrecord", "file", "--officer", "123456", "--reason", "设备故障未能录像", "--basis", "002 §8", "--by", "clerk01").Split(' ')[^1];

        ToDecide(data, "leader01").Should().Equal([("copy", long.Parse(copy, System.Globalization.CultureInfo.InvariantCulture))]);
        ToDecide(data, "boss01").Should().Equal([("export", long.Parse(export, System.Globalization.CultureInfo.InvariantCulture))]);
        ToDecide(data, "head01").Should().Equal([("work-record", long.Parse(workRecord, System.Globalization.CultureInfo.InvariantCulture))]);
        ToDecide(data, "clerk01").Should().BeEmpty("clerk01 holds responsible-leader too, but never decides their own request");
        var mine = Inbox(data, "clerk01").GetProperty("waiting").EnumerateArray().Select(i => i.GetProperty("kind").GetString()).ToList();
        mine.Should().Equal(["copy", "export", "work-record"]);
        Inbox(data, "leader01").GetProperty("toDecide")[0].GetProperty("command").GetString().Should().Be($"custody copy approve --request {copy}");

        Tools.CustodyOk(data, "copy", "approve", "--request", copy, "--opinion", "同意", "--by", "leader01");
        ToDecide(data, "leader01").Should().BeEmpty("a decided request leaves the inbox");
        Inbox(data, "clerk01").GetProperty("waiting").GetArrayLength().Should().Be(2);
        Tools.CustodyOk(data, "inbox", "--user", "boss01").Should().Contain("1 to decide").And.Contain($"custody export approve --request {export} --by boss01");
    }

    private static JsonElement Inbox(string data, string user) => JsonDocument.Parse(Tools.CustodyOk(data, "inbox", "--user", user, "--json")).RootElement;

    private static List<(string?, long)> ToDecide(string data, string user) =>
        [.. Inbox(data, user).GetProperty("toDecide").EnumerateArray().Select(i => (i.GetProperty("kind").GetString(), i.GetProperty("ledgerEntry").GetInt64()))];
}
