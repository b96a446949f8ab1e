using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>Issue 21, R7 (001 §25): find recordings by officer, device, time of recording, case, party and cause; paged.</summary>
public sealed class ClipSearchTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Clips_AreFoundByEveryFilter_AndPagedThroughLinkHeaders()
    {
        var tag = Guid.NewGuid().ToString("N")[..6].ToUpperInvariant();
        var (devA, devB) = ($"SA{tag}", $"SB{tag}");
        var early = await RegisterAsync(devA, "111111", "2026-11-23T01:00:00Z");
        var middle = await RegisterAsync(devA, "222222", "2026-11-23T03:00:00Z");
        var late = await RegisterAsync(devB, "111111", "2026-11-23T05:00:00Z");
        var other = await RegisterAsync(devB, "222222", "2026-11-24T05:00:00Z");
        var caseNumber = $"冀执罚〔2026〕{tag}号";
        server.Custody("case", "register", "--number", caseNumber, "--cause", "占道经营", "--party", $"王五{tag}", "--by", "clerk01");
        server.Custody("case", "link", "--number", caseNumber, "--clip", middle, "--reason", "recorded the matter", "--by", "clerk01");
        server.Custody("case", "link", "--number", caseNumber, "--clip", late, "--reason", "recorded the matter", "--by", "clerk01");
        using var clerk = server.Client(server.ClerkKey);

        (await ShasAsync(clerk, $"/clips?device={devA}")).Should().BeEquivalentTo([early, middle]);
        (await ShasAsync(clerk, $"/clips?device={devB}&officer=111111")).Should().Equal(late);
        (await ShasAsync(clerk, $"/clips?device={devA}&from=2026-11-23T10:00:00%2B08:00&to=2026-11-23T12:00:00%2B08:00")).Should().Equal(new[] { middle }, "02:00–04:00 UTC is 10:00–12:00 in Beijing");
        (await ShasAsync(clerk, $"/clips?case={Uri.EscapeDataString(caseNumber)}")).Should().BeEquivalentTo([middle, late]);
        (await ShasAsync(clerk, $"/clips?party={Uri.EscapeDataString($"王五{tag}")}&officer=111111")).Should().Equal(late);
        (await ShasAsync(clerk, $"/clips?cause={Uri.EscapeDataString("占道")}&device={devB}")).Should().Equal(late);

        // Paged: one at a time in ledger order, each page naming the next; the pages hold each clip once.
        var seen = new List<string>();
        string? page = $"/clips?officer=111111&limit=1";
        var pages = 0;
        while (page is not null && pages++ < 10)
        {
            using var response = await clerk.GetAsync(page);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var clips = await response.Content.ReadFromJsonAsync<List<JsonElement>>();
            seen.AddRange(clips!.Select(c => c.GetProperty("sha256").GetString()!));
            page = response.Headers.TryGetValues("Link", out var link) ? link.Single().Split('>')[0].TrimStart('<') : null;
        }

        seen.Should().ContainInOrder(early, late).And.OnlyHaveUniqueItems().And.NotContain(middle).And.NotContain(other);

        var badLimit = await clerk.GetAsync("/clips?limit=0");
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badLimit.Content.ReadAsStringAsync()).Should().Contain("limit");
        var badTime = await clerk.GetAsync("/clips?from=yesterday");
        badTime.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badTime.Content.ReadAsStringAsync()).Should().Contain("from");

        var cli = server.Custody("clips", "--device", devB, "--officer", "111111", "--json").Output;
        cli.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("sha256").GetString()).Should().Equal(late);
    }

    private static async Task<List<string>> ShasAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. (await response.Content.ReadFromJsonAsync<List<JsonElement>>())!.Select(c => c.GetProperty("sha256").GetString()!)];
    }

    private async Task<string> RegisterAsync(string device, string officer, string recordedStart)
    {
        var bytes = RandomNumberGenerator.GetBytes(1_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var dock = server.Client(server.StationKey);
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = $"{device}_{officer}_{sha[..6]}.MP4", deviceSerial = device, officerId = officer, recordedStart } })).EnsureSuccessStatusCode();
        return sha;
    }
}
