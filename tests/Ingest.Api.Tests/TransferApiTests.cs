using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>R18 through the API: a transferred case says to whom, when, and by which entries.</summary>
public sealed class TransferApiTests(ApiServer server) : IClassFixture<ApiServer>
{
    private const string Case = "冀执罚〔2026〕21号";

    [Fact]
    public async Task ACase_ShowsItsTransfer_OnceCustodyCaseTransferHandedItOver()
    {
        var bytes = RandomNumberGenerator.GetBytes(2_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var dock = server.Client(server.StationKey))
        {
            (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "T.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        }

        server.Custody("case", "register", "--number", Case, "--cause", "占道经营", "--by", "clerk01");
        server.Custody("case", "link", "--number", Case, "--clip", sha, "--reason", "recorded the matter", "--by", "clerk01");
        using var clerk = server.Client(server.ClerkKey);
        var before = await clerk.GetFromJsonAsync<JsonElement>($"/cases/{Uri.EscapeDataString(Case)}");
        before.TryGetProperty("transferred", out var none).Should().BeTrue();
        none.ValueKind.Should().Be(JsonValueKind.Null);

        server.Custody("role", "grant", "--user", "legal01", "--role", "reviewer", "--reason", "legal affairs", "--by", "admin");
        server.Custody("role", "grant", "--user", "head01", "--role", "agency-head", "--reason", "head of the office", "--by", "admin");
        var request = server.Custody("export", "request", "--case", Case, "--reason", "移送区人民检察院", "--by", "clerk01").Output.Trim().Split(' ')[^1];
        server.Custody("review", "--request", request, "--opinion", "建议移送", "--by", "legal01");
        server.Custody("export", "approve", "--request", request, "--opinion", "同意", "--by", "head01");
        var result = JsonDocument.Parse(server.Custody("case", "transfer", "--number", Case, "--to", "某区人民检察院", "--receiver", "王检察官",
            "--out", Path.Combine(server.Work, "transfer"), "--reason", "移送审查起诉", "--by", "clerk01", "--json").Output).RootElement;

        var after = await clerk.GetFromJsonAsync<JsonElement>($"/cases/{Uri.EscapeDataString(Case)}");
        var transferred = after.GetProperty("transferred");
        transferred.GetProperty("to").GetString().Should().Be("某区人民检察院");
        transferred.GetProperty("receiver").GetString().Should().Be("王检察官");
        transferred.GetProperty("ledgerEntry").GetInt64().Should().Be(result.GetProperty("ledgerEntry").GetInt64());
        transferred.GetProperty("exportEntry").GetInt64().Should().Be(result.GetProperty("exportEntry").GetInt64());
    }
}
