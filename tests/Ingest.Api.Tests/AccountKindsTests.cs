using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>
/// Issue 21, "kinds kept apart": a station and a person with the same id are two accounts; a
/// revocation names what it revokes; roles are withdrawn with `custody role revoke` and do not come
/// back with a re-issued key.
/// </summary>
public sealed class AccountKindsTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task AStationNamedLikeAPerson_InheritsNothing_AndEachIsRevokedOnItsOwn()
    {
        var sha = await UploadAsync();
        var person = Issue("desk-07", "person");
        server.Custody("role", "grant", "--user", "desk-07", "--role", "clerk", "--reason", "evidence room", "--by", "admin");
        var station = Issue("desk-07", "station");

        (await server.Client(station).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a station key never carries a person's roles");
        (await server.Client(station).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await server.Client(person).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.OK);

        var ambiguous = Tools.Dotnet("custody", ["account", "revoke", "--data", server.Data, "--id", "desk-07", "--reason", "dock PC replaced", "--by", "admin"]);
        ambiguous.ExitCode.Should().NotBe(0);
        (ambiguous.Error + ambiguous.Output).Should().Contain("--kind");

        server.Custody("account", "revoke", "--id", "desk-07", "--kind", "station", "--reason", "dock PC replaced", "--by", "admin");

        (await server.Client(station).PostAsJsonAsync("/dock/sessions", new { deviceSerial = "A1B2C3D" })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await server.Client(person).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.OK, "revoking the station left the person alone");
        var revoked = server.Log().Last(e => e.GetProperty("type").GetString() == "AccountRevoked").GetProperty("payload");
        revoked.GetProperty("kind").GetString().Should().Be("station");
        revoked.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).Should().Equal(KeyHash(station));
    }

    [Fact]
    public async Task ARevokedPersonsNewKey_HoldsNoRole_UntilGrantedAgain_AndRoleRevokeWithdrawsOne()
    {
        var sha = await UploadAsync();
        var first = Issue("leaver-02", "person");
        server.Custody("role", "grant", "--user", "leaver-02", "--role", "clerk", "--reason", "evidence room", "--by", "admin");
        server.Custody("account", "revoke", "--id", "leaver-02", "--reason", "left the unit", "--by", "admin");

        var second = Issue("leaver-02", "person");

        (await server.Client(first).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await server.Client(second).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a revocation withdrew the roles; a new key brings none back");
        server.Custody("role", "grant", "--user", "leaver-02", "--role", "clerk", "--reason", "came back", "--by", "admin");
        (await server.Client(second).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.OK);

        server.Custody("role", "revoke", "--user", "leaver-02", "--role", "clerk", "--reason", "moved to traffic", "--by", "admin");

        (await server.Client(second).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var entry = server.Log().Last(e => e.GetProperty("type").GetString() == "RoleRevoked");
        entry.GetProperty("payload").GetProperty("role").GetString().Should().Be("clerk");
        entry.GetProperty("reason").GetString().Should().Be("moved to traffic");
        var unknown = Tools.Dotnet("custody", ["role", "revoke", "--data", server.Data, "--user", "leaver-02", "--role", "clerk", "--reason", "again", "--by", "admin"]);
        unknown.ExitCode.Should().NotBe(0, "a role not held cannot be revoked");
    }

    [Fact]
    public async Task ARoleGrantRowRewrittenAfterARevoke_DoesNotGiveTheRoleBack()
    {
        var sha = await UploadAsync();
        var key = Issue("mover-03", "person");
        server.Custody("role", "grant", "--user", "mover-03", "--role", "clerk", "--reason", "evidence room", "--by", "admin");
        var grant = server.Log().Last(e => e.GetProperty("type").GetString() == "RoleGranted").GetProperty("index").GetInt64();
        server.Custody("role", "revoke", "--user", "mover-03", "--role", "clerk", "--reason", "moved", "--by", "admin");

        CatalogSql.Run(server.Data, $"INSERT OR REPLACE INTO role_grant VALUES('mover-03', 'clerk', {grant})");

        (await server.Client(key).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "the RoleRevoked entry decides, not the row");
    }

    private string Issue(string id, string kind) =>
        JsonDocument.Parse(server.Custody("account", "issue", "--id", id, "--kind", kind, "--reason", "test", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;

    private static string KeyHash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    private async Task<string> UploadAsync()
    {
        var bytes = RandomNumberGenerator.GetBytes(4_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var dock = server.Client(server.StationKey);
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = $"K_{sha[..8]}.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        return sha;
    }
}
