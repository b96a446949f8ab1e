using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody copy: a copy for a party (R8), approved by the copy approver, made from verified originals, ledgered (004 §32).</summary>
public sealed class CopyCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-copies");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void ACopy_NeedsTheApproverNotTheRequester_AndIsTheVerifiedOriginal_LedgeredWithEveryone()
    {
        var (data, originals) = DockTwoClips();
        var (sha, bytes) = originals[0];
        Tools.CustodyOk(data, "role", "grant", "--user", "head01", "--role", "agency-head", "--reason", "head of the office", "--by", "admin");
        var request = long.Parse(Tools.CustodyOk(data, "copy", "request", "--clip", sha, "--party", "张三（当事人）", "--reason", "当事人申请复制执法录像", "--by", "clerk01").Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var target = Path.Combine(_work, "copy-for-zhang");

        Tools.CustodyFails(data, "copy", "make", "--request", $"{request}", "--out", target, "--by", "clerk02").Should().Contain("not approved");
        Tools.CustodyFails(data, "copy", "approve", "--request", $"{request}", "--by", "clerk01").Should().Contain("cannot approve");
        Tools.CustodyFails(data, "copy", "approve", "--request", $"{request}", "--by", "officer02").Should().Contain("agency-head");
        // 001 §13: handler, reviewer, approver, each with an opinion and a date: no approval before the review.
        Tools.CustodyFails(data, "copy", "approve", "--request", $"{request}", "--opinion", "同意", "--by", "head01").Should().Contain("has not been reviewed yet");
        Tools.CustodyFails(data, "review", "--request", $"{request}", "--opinion", "我审我自己", "--by", "clerk01").Should().Contain("cannot review it");
        Tools.CustodyFails(data, "review", "--request", $"{request}", "--opinion", "同意", "--by", "officer02").Should().Contain("'reviewer'");
        Tools.CustodyOk(data, "role", "grant", "--user", "legal01", "--role", "reviewer", "--reason", "legal affairs", "--by", "admin");
        Tools.CustodyOk(data, "role", "grant", "--user", "legal01", "--role", "agency-head", "--reason", "acting head", "--by", "admin");
        InboxKinds(data, "legal01").Should().Equal(["custody review --request " + request + " --opinion TEXT"]);
        Tools.CustodyOk(data, "review", "--request", $"{request}", "--opinion", "材料齐全，建议同意", "--by", "legal01");
        Tools.CustodyFails(data, "review", "--request", $"{request}", "--opinion", "again", "--by", "legal01").Should().Contain("reviewed already");
        Tools.CustodyFails(data, "copy", "approve", "--request", $"{request}", "--by", "legal01").Should().Contain("cannot also approve");
        InboxKinds(data, "legal01").Should().BeEmpty("the reviewer, though acting head, does not approve what they reviewed");
        InboxKinds(data, "head01").Should().Equal([$"custody copy approve --request {request}"]);
        Directory.Exists(target).Should().BeFalse();
        Tools.CustodyOk(data, "copy", "approve", "--request", $"{request}", "--opinion", "同意", "--by", "head01");
        Tools.CustodyOk(data, "copy", "make", "--request", $"{request}", "--out", target, "--by", "clerk02");

        File.ReadAllBytes(Path.Combine(target, sha + ".mp4")).Should().Equal(bytes);
        File.ReadAllText(Path.Combine(target, "COPY.txt")).Should().Contain("张三（当事人）").And.Contain(sha);
        var log = Tools.Dotnet("custody", ["log", "--data", data, "--json"]).JsonLines();
        var copied = log.Single(e => e.GetProperty("type").GetString() == "ClipCopied").GetProperty("payload");
        copied.GetProperty("requestedBy").GetString().Should().Be("user:clerk01");
        copied.GetProperty("copier").GetString().Should().Be("user:clerk02");
        copied.GetProperty("approvedBy").GetString().Should().Be("user:head01");
        copied.GetProperty("reviewedBy").GetString().Should().Be("user:legal01");
        File.ReadAllText(Path.Combine(target, "COPY.txt")).Should().Contain("reviewed by user:legal01");
        copied.GetProperty("party").GetString().Should().Be("张三（当事人）");
        copied.GetProperty("reason").GetString().Should().Be("当事人申请复制执法录像");
        copied.GetProperty("clips").EnumerateArray().Single().GetProperty("sha256").GetString().Should().Be(sha);
        log.Where(e => e.GetProperty("type").GetString() == "AccessRefused").Select(e => e.GetProperty("payload").GetProperty("action").GetString())
            .Should().Equal(["ApproveCopy", "ApproveCopy", "ApproveCopy", "ReviewRequest", "ReviewRequest", "ApproveCopy"], "each refused approval and review is a fact");
        log.Single(e => e.GetProperty("type").GetString() == "RequestReviewed").GetProperty("payload").GetProperty("opinion").GetString().Should().Be("材料齐全，建议同意");
    }

    [Fact]
    public void ADamagedOriginal_IsNotCopied_AndNothingIsLedgeredOrLeftBehind()
    {
        var (data, originals) = DockTwoClips();
        var (sha, _) = originals[1];
        Tools.CustodyOk(data, "role", "grant", "--user", "head01", "--role", "agency-head", "--reason", "head of the office", "--by", "admin");
        var request = long.Parse(Tools.CustodyOk(data, "copy", "request", "--clip", sha, "--party", "李四", "--reason", "申请复制", "--by", "clerk01").Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
        Tools.CustodyOk(data, "role", "grant", "--user", "legal01", "--role", "reviewer", "--reason", "legal affairs", "--by", "admin");
        Tools.CustodyOk(data, "review", "--request", $"{request}", "--opinion", "同意", "--by", "legal01");
        Tools.CustodyOk(data, "copy", "approve", "--request", $"{request}", "--by", "head01");
        var stored = Path.Combine(data, "objects", "sha256", sha[..2], sha[2..4], sha);
        File.SetAttributes(stored, FileAttributes.Normal);
        File.WriteAllBytes(stored, RandomNumberGenerator.GetBytes(500));

        var failed = Tools.CustodyFails(data, "copy", "make", "--request", $"{request}", "--out", Path.Combine(_work, "copy"), "--by", "clerk02");

        failed.Should().Contain(sha);
        Directory.EnumerateFileSystemEntries(_work, "copy*").Should().BeEmpty("no copy, not even a partial one, of a damaged original");
        Tools.Dotnet("custody", ["log", "--data", data, "--json"]).JsonLines().Should().NotContain(e => e.GetProperty("type").GetString() == "ClipCopied");
    }

    private (string Data, List<(string Sha, byte[] Bytes)> Originals) DockTwoClips()
    {
        var camera = Path.Combine(_work, "camera", "DCIM");
        Directory.CreateDirectory(camera);
        var originals = new List<(string, byte[])>();
        for (var i = 1; i <= 2; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(3_000 * i);
            File.WriteAllBytes(Path.Combine(camera, $"A1B2C3D_123456_{RunDates.Compact}08{i:D2}00_000{i}.MP4"), bytes);
            originals.Add((Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes));
        }

        var data = Path.Combine(_work, "data");
        Tools.Dotnet("deviceagent", ["ingest", Path.Combine(_work, "camera"), "--data", data], new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "hebei-street-office" }).ExitCode.Should().Be(0);
        foreach (var clerk in new[] { "clerk01", "clerk02" })
        {
            Tools.CustodyOk(data, "role", "grant", "--user", clerk, "--role", "clerk", "--reason", "evidence clerk of the office", "--by", "admin");
        }

        return (data, originals);
    }

    private static List<string?> InboxKinds(string data, string user) =>
        [.. JsonDocument.Parse(Tools.CustodyOk(data, "inbox", "--user", user, "--json")).RootElement.GetProperty("toDecide").EnumerateArray().Select(i => i.GetProperty("command").GetString())];
}
