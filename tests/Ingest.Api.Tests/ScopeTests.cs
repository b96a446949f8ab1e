using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>Issue 21, units (R8 004 §28) through the API: what decides is the ledger, and what a person sees follows their unit.</summary>
public sealed class ScopeTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task AClerkOfAnotherUnit_IsRefusedAndLedgered_AForgedCatalogRowOpensNothing_AndAMoveOpensTheUnitsClips()
    {
        server.Custody("unit", "create", "--id", "east-1", "--name", "东城一所", "--reason", "organisation", "--by", "admin");
        server.Custody("unit", "create", "--id", "west", "--name", "西城分局", "--reason", "organisation", "--by", "admin");
        var officer = Person("o-1", "east-1", "officer");
        var other = Person("o-2", "west", "officer");
        var clerk = Person("c-w", "west", "clerk");
        var bytes = RandomNumberGenerator.GetBytes(3_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var dock = server.Client(server.StationKey))
        {
            (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "A.MP4", deviceSerial = "A1B2C3D", officerId = "o-1", unitId = "west" } })).EnsureSuccessStatusCode();
        }

        using var westClerk = server.Client(clerk);
        var refused = await westClerk.GetAsync($"/clips/{sha}/content?reason=curious");
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, "the camera's unit field says west, but the clip belongs to its officer's unit");
        (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("东城一所 (east-1)");
        server.Log().Where(e => e.GetProperty("type").GetString() == "AccessRefused").Select(e => (e.GetProperty("payload").GetProperty("principal").GetString(), e.GetProperty("subjects").EnumerateArray().Last().GetProperty("subject").GetString()))
            .Should().Equal([("user:c-w", "clip:" + sha)], "the refused look is a fact in the clip's trail");
        server.Log().Should().NotContain(e => e.GetProperty("type").GetString() == "ClipViewed");

        // A rogue administrator rewrites the derived row to say o-2 recorded it: the proven entry still says o-1.
        using (var catalog = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.Data, "catalog.db")};Pooling=False"))
        {
            catalog.Open();
            using var forge = catalog.CreateCommand();
            forge.CommandText = "UPDATE clip_custody SET officer_id = 'o-2'";
            forge.ExecuteNonQuery().Should().Be(1);
        }

        using var otherOfficer = server.Client(other);
        (await otherOfficer.GetFromJsonAsync<JsonElement>("/clips?limit=10")).EnumerateArray().Should().BeEmpty("o-2 did not record it, whatever the row says");
        (await otherOfficer.GetAsync($"/clips/{sha}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var ownOfficer = server.Client(officer);
        (await ownOfficer.GetAsync($"/clips/{sha}")).StatusCode.Should().Be(HttpStatusCode.OK);

        server.Custody("unit", "assign", "--user", "c-w", "--unit", "east-1", "--reason", "transferred to 东城一所", "--by", "admin");
        var seen = await westClerk.GetAsync($"/clips/{sha}/content?reason=case work");
        seen.StatusCode.Should().Be(HttpStatusCode.OK, "what a person may see follows their unit");
        (await seen.Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    private string Person(string id, string unit, string role)
    {
        var key = JsonDocument.Parse(server.Custody("account", "issue", "--id", id, "--kind", "person", "--reason", "set-up", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        server.Custody("role", "grant", "--user", id, "--role", role, "--reason", "set-up", "--by", "admin");
        server.Custody("unit", "assign", "--user", id, "--unit", unit, "--reason", "set-up", "--by", "admin");
        return key;
    }
}
