using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>Ingest.Api as docks, clerks and auditors use it: the real process, real keys, the real vault.</summary>
public sealed class IngestApiTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Dock_UploadsThenRegisters_AndCustodyIsClaimedOnlyForTheObjectWithThatDigestAndSize()
    {
        using var dock = server.Client(server.StationKey);
        var session = await dock.PostAsJsonAsync("/dock/sessions", new { deviceSerial = "A1B2C3D", officerId = "123456", clockOffsetSeconds = 40.0 });
        session.StatusCode.Should().Be(HttpStatusCode.Created);

        var (bytes, sha) = Clip(200_000);
        // Named wrongly: the store keeps the bytes under their real digest and says so.
        var wrongName = await dock.PutAsync($"/objects/{new string('0', 64)}", new ByteArrayContent(bytes));
        wrongName.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await wrongName.Content.ReadAsStringAsync()).Should().Contain(sha);

        // Registering before the upload, or with the wrong size, is refused and nothing is ledgered.
        var before = server.Log().Count;
        var missing = await dock.PostAsJsonAsync("/clips", new { sha256 = new string('1', 64), size = 10, facts = new { fileName = "A1B2C3D_123456_20261123090000_0001.MP4" } });
        missing.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await missing.Content.ReadAsStringAsync()).Should().Contain("A1B2C3D_123456_20261123090000_0001.MP4").And.Contain("not in custody");
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).StatusCode.Should().Be(HttpStatusCode.OK);
        var wrongSize = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length + 1, facts = new { fileName = "x.MP4" } });
        wrongSize.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        server.Log().Count.Should().Be(before);

        var registered = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "DCIM/A1B2C3D_123456_20261123090000_0001.MP4", deviceSerial = "A1B2C3D", officerId = "123456" } });
        registered.StatusCode.Should().Be(HttpStatusCode.Created);
        var index = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ledgerEntry").GetInt64();
        var entry = server.Log().Single(e => e.GetProperty("index").GetInt64() == index);
        entry.GetProperty("type").GetString().Should().Be("ClipIngested");
        entry.GetProperty("payload").GetProperty("station").GetString().Should().Be("dock-01");
        server.Log().Should().Contain(e => e.GetProperty("type").GetString() == "DockSessionOpened" && e.GetProperty("actor").GetString() == "station:dock-01");
    }

    [Fact]
    public async Task ClipBytes_NeedAReason_AndTheViewIsLedgeredAndCheckpointedBeforeTheFirstByte()
    {
        var (bytes, sha) = await UploadAsync(50_000);
        using var clerk = server.Client(server.ClerkKey);
        var before = server.Log().Count;
        var noReason = await clerk.GetAsync($"/clips/{sha}/content");
        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noReason.Content.ReadAsStringAsync()).Should().Contain("needs a reason");
        server.Log().Count.Should().Be(before, "a refused view is not a view");

        using var response = await clerk.GetAsync($"/clips/{sha}/content?reason={Uri.EscapeDataString("复核：当事人申请查阅")}", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        // Headers are here, no byte of the body read yet: the view must already be a checkpointed entry.
        var index = long.Parse(response.Headers.GetValues("X-EvidenceVault-View-Entry").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var view = server.Log().Single(e => e.GetProperty("index").GetInt64() == index);
        view.GetProperty("type").GetString().Should().Be("ClipViewed");
        view.GetProperty("actor").GetString().Should().Be("user:clerk01");
        view.GetProperty("reason").GetString().Should().Be("复核：当事人申请查阅");
        var latest = await server.Client(null).GetFromJsonAsync<JsonElement>("/checkpoints/latest");
        latest.GetProperty("size").GetInt64().Should().BeGreaterThan(index);

        (await response.Content.ReadAsByteArrayAsync()).Should().Equal(bytes);
    }

    [Fact]
    public async Task EveryEndpoint_NeedsAKeyWithTheRightRole_AndARevokedKeyStopsAtOnce()
    {
        var (_, sha) = await UploadAsync(1_000);
        (await server.Client(null).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await server.Client("evk_" + new string('f', 64)).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await server.Client(server.NoRoleKey).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await server.Client(server.StationKey).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a dock never plays clips back");
        (await server.Client(server.OfficerKey).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await server.Client(server.OfficerKey).GetAsync("/clips")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await server.Client(server.ClerkKey).PostAsJsonAsync("/dock/sessions", new { deviceSerial = "X" })).StatusCode.Should().Be(HttpStatusCode.Forbidden, "only a station opens dock sessions");

        var key = JsonDocument.Parse(server.Custody("account", "issue", "--id", "temp-dock", "--kind", "station", "--reason", "loan", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        using var temp = server.Client(key);
        (await temp.PostAsJsonAsync("/dock/sessions", new { deviceSerial = "B7C8D9E" })).StatusCode.Should().Be(HttpStatusCode.Created);
        server.Custody("account", "revoke", "--id", "temp-dock", "--reason", "dock PC stolen", "--by", "admin");
        (await temp.PostAsJsonAsync("/dock/sessions", new { deviceSerial = "B7C8D9E" })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ClipBytes_ForAKeyThatIsOnlyARowWrittenWithSql_AreNotServed()
    {
        // Issue 18 §2: an administrator's api_key row for his own key, pointing at the clerk's genuine
        // AccountIssued entry, with a role row pointing at the clerk's genuine grant; and a revoked key
        // whose row is un-revoked. The entries decide, not the rows.
        var (_, sha) = await UploadAsync(3_000);
        var clerkIssued = server.Log().First(e => e.GetProperty("type").GetString() == "AccountIssued" && e.GetProperty("payload").GetProperty("account").GetString() == "clerk01").GetProperty("index").GetInt64();
        var clerkGrant = server.Log().First(e => e.GetProperty("type").GetString() == "RoleGranted" && e.GetProperty("payload").GetProperty("user").GetString() == "clerk01");
        var mallory = "evk_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        CatalogSql.Run(server.Data, $"INSERT INTO api_key VALUES('{Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(mallory)))}', 'mallory', 'person', {clerkIssued}, NULL)");
        CatalogSql.Run(server.Data, $"INSERT INTO role_grant VALUES('mallory', '{clerkGrant.GetProperty("payload").GetProperty("role").GetString()}', {clerkGrant.GetProperty("index").GetInt64()})");
        var revoked = JsonDocument.Parse(server.Custody("account", "issue", "--id", "leaver", "--kind", "person", "--reason", "temp", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        server.Custody("role", "grant", "--user", "leaver", "--role", clerkGrant.GetProperty("payload").GetProperty("role").GetString()!, "--reason", "temp", "--by", "admin");
        server.Custody("account", "revoke", "--id", "leaver", "--reason", "left the unit", "--by", "admin");
        CatalogSql.Run(server.Data, "UPDATE api_key SET revoked_idx = NULL WHERE account = 'leaver'");
        var views = server.Log().Count(e => e.GetProperty("type").GetString() == "ClipViewed");

        var forged = await server.Client(mallory).GetAsync($"/clips/{sha}/content?reason=x");
        var unrevoked = await server.Client(revoked).GetAsync($"/clips/{sha}/content?reason=x");

        forged.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        unrevoked.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        server.Log().Count(e => e.GetProperty("type").GetString() == "ClipViewed").Should().Be(views, "no view is served or ledgered");
        (await server.Client(server.ClerkKey).GetAsync($"/clips/{sha}/content?reason=x")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Queries_GiveTheClipItsTrailTheCaseAndTheInterruptions()
    {
        var (_, sha) = await UploadAsync(2_000);
        server.Custody("case", "register", "--number", "冀执罚〔2026〕77号", "--cause", "占道经营", "--by", "clerk01");
        server.Custody("case", "link", "--number", "冀执罚〔2026〕77号", "--clip", sha, "--reason", "recorded the matter", "--by", "clerk01");
        using var auditor = server.Client(server.ClerkKey);

        var clip = await auditor.GetFromJsonAsync<JsonElement>($"/clips/{sha}");
        clip.GetProperty("cases").EnumerateArray().Select(c => c.GetString()).Should().Equal("冀执罚〔2026〕77号");
        var trail = await auditor.GetFromJsonAsync<JsonElement>($"/clips/{sha}/trail");
        trail.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("type").GetString()).Should().StartWith(["ClipIngested", "ClipLinked"]);
        var caseFile = await auditor.GetFromJsonAsync<JsonElement>($"/cases/{Uri.EscapeDataString("冀执罚〔2026〕77号")}");
        caseFile.GetProperty("facts").GetProperty("cause").GetString().Should().Be("占道经营");
        caseFile.GetProperty("clips").EnumerateArray().Select(c => c.GetString()).Should().Equal(sha);
        var caseTrail = await auditor.GetFromJsonAsync<JsonElement>($"/cases/{Uri.EscapeDataString("冀执罚〔2026〕77号")}/trail");
        caseTrail.GetProperty("entries").GetArrayLength().Should().Be(2);
        (await auditor.GetAsync($"/cases/{Uri.EscapeDataString("没有此案")}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await auditor.GetAsync("/interruptions")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WrittenExplanation_UploadedAsAForm_IsLedgeredWithItsDocument()
    {
        var (_, previous) = await UploadAsync(3_000);
        var (_, resumed) = await UploadAsync(3_000);
        var scan = "%PDF-1.4 scanned explanation"u8.ToArray();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(resumed), "resumed" },
            { new StringContent(previous), "previous" },
            { new StringContent("low-battery"), "category" },
            { new StringContent("电池耗尽，更换后继续录制"), "text" },
            { new StringContent("123456"), "signedBy" },
            { new StringContent("234567"), "signedBy" },
            { new ByteArrayContent(scan), "document", "说明.pdf" },
        };
        var response = await server.Client(server.StationKey).PostAsync("/explanations", form);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var index = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ledgerEntry").GetInt64();
        var payload = server.Log().Single(e => e.GetProperty("index").GetInt64() == index).GetProperty("payload");
        payload.GetProperty("signedBy").EnumerateArray().Select(s => s.GetString()).Should().Equal("123456", "234567");
        payload.GetProperty("documentSha256").GetString().Should().Be(Convert.ToHexStringLower(SHA256.HashData(scan)));
    }

    [Fact]
    public async Task HealthCheckpointAndOpenApi_AreServedWithoutAKey()
    {
        using var anyone = server.Client(null);
        var health = await anyone.GetFromJsonAsync<JsonElement>("/health");
        health.GetProperty("status").GetString().Should().Be("ok");
        health.GetProperty("database").GetProperty("ok").GetBoolean().Should().BeTrue();
        health.GetProperty("objectStore").GetProperty("ok").GetBoolean().Should().BeTrue();

        var latest = await anyone.GetFromJsonAsync<JsonElement>("/checkpoints/latest");
        var key = Custody.Checkpoints.NoteVerifierKey.Parse(latest.GetProperty("verifierKey").GetString()!);
        var checkpoint = Custody.Checkpoints.Checkpoint.Open(latest.GetProperty("note").GetString()!, key, out var problem);
        checkpoint.Should().NotBeNull(problem);
        checkpoint!.Size.Should().Be(latest.GetProperty("size").GetInt64());
        checkpoint.Root.ToHex().Should().Be(latest.GetProperty("root").GetString());

        var openApi = await anyone.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        paths.Should().Contain(["/dock/sessions", "/objects/{sha256}", "/clips", "/clips/{sha256}/content", "/clips/{sha256}/trail", "/cases/{number}", "/checkpoints/latest", "/health", "/explanations"]);
    }

    private static (byte[] Bytes, string Sha) Clip(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        return (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private async Task<(byte[] Bytes, string Sha)> UploadAsync(int size)
    {
        var (bytes, sha) = Clip(size);
        using var dock = server.Client(server.StationKey);
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size, facts = new { fileName = $"A1B2C3D_123456_20261123100000_{size:D4}.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        return (bytes, sha);
    }
}
