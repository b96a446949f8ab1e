using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>Issue 21, "refusals are facts": a refused view or approval is ledgered, and a flood of them is one entry and a summary.</summary>
public sealed class RefusalTests
{
    [Fact]
    public async Task ARefusedView_IsLedgered_AndRepeatsAreOneSummaryWithTheirCount()
    {
        using var server = ApiServer.Start(new Dictionary<string, string> { ["EVIDENCEVAULT_REFUSAL_WINDOW_SECONDS"] = "2" }, null);
        var bytes = RandomNumberGenerator.GetBytes(2_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var dock = server.Client(server.StationKey))
        {
            (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "R.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        }

        using var officer = server.Client(server.OfficerKey);
        for (var i = 0; i < 5; i++)
        {
            (await officer.GetAsync($"/clips/{sha}/content?reason=curious")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        (await server.Client(null).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var first = Refusals(server).Should().ContainSingle("the first refusal is an entry at once, the next four wait for the window's summary").Subject;
        first.GetProperty("actor").GetString().Should().Be("user:officer01");
        first.GetProperty("payload").GetProperty("action").GetString().Should().Be("ViewClipContent");
        first.GetProperty("payload").GetProperty("subject").GetString().Should().Be($"clip:{sha}");
        first.GetProperty("payload").GetProperty("count").GetInt32().Should().Be(1);
        first.GetProperty("reason").GetString().Should().Contain("officer");
        await Tools.EventuallyAsync(() => Refusals(server).Count == 2, "the window's summary is written once it has passed", TimeSpan.FromSeconds(20));
        Refusals(server)[1].GetProperty("payload").GetProperty("count").GetInt32().Should().Be(4);
        Refusals(server).Should().OnlyContain(e => e.GetProperty("actor").GetString() == "user:officer01", "a caller without a key has no identity to ledger");
    }

    [Fact]
    public async Task ARefusedApproval_IsLedgeredWithWhyBeforeTheCommandFails()
    {
        using var server = new ApiServer();
        server.Custody("case", "register", "--number", "冀执罚〔2026〕9号", "--cause", "占道经营", "--by", "clerk01");
        var bytes = RandomNumberGenerator.GetBytes(1_500);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var dock = server.Client(server.StationKey))
        {
            (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "E.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        }

        server.Custody("case", "link", "--number", "冀执罚〔2026〕9号", "--clip", sha, "--reason", "recorded the matter", "--by", "clerk01");
        server.Custody("export", "request", "--case", "冀执罚〔2026〕9号", "--reason", "court", "--by", "clerk01");
        var request = server.Log().Last(e => e.GetProperty("type").GetString() == "ExportRequested").GetProperty("index").GetInt64();

        var own = Tools.Dotnet("custody", ["export", "approve", "--data", server.Data, "--request", request.ToString(System.Globalization.CultureInfo.InvariantCulture), "--by", "clerk01"]);

        own.ExitCode.Should().NotBe(0);
        var refused = Refusals(server).Should().ContainSingle().Subject;
        refused.GetProperty("actor").GetString().Should().Be("user:clerk01");
        refused.GetProperty("payload").GetProperty("action").GetString().Should().Be("ApproveExport");
        refused.GetProperty("payload").GetProperty("subject").GetString().Should().Be("case:冀执罚〔2026〕9号");
        refused.GetProperty("payload").GetProperty("why").GetString().Should().Contain("cannot approve");
    }

    private static List<JsonElement> Refusals(ApiServer server) => [.. server.Log().Where(e => e.GetProperty("type").GetString() == "AccessRefused")];
}
