using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>
/// Issue 21, "the API's own promises": what a hostile or careless client found on main. Nothing refused
/// remains, every error is a problem document, station facts are bounded, health tells the truth.
/// </summary>
public sealed class ApiPromisesTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static readonly string[] ProblemTypes = ["application/problem+json"];

    [Fact]
    public async Task RefusedUpload_LeavesNoByteInTheStore_AndVerifyNamesAnUploadNeverRegistered()
    {
        using var dock = server.Client(server.StationKey);
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var refused = await dock.PutAsync($"/objects/{new string('0', 64)}", new ByteArrayContent(bytes));

        refused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        File.Exists(ObjectFile(sha)).Should().BeFalse("a refused upload is not kept under its real digest");
        Directory.EnumerateFiles(Path.Combine(server.Data, "objects", "tmp")).Should().BeEmpty("nothing refused may remain, not even a spooled part");

        // An upload the dock never registered is not custody: verify names it for the clerk.
        var (_, kept) = await PutAsync(dock, 20_000);
        var verify = JsonDocument.Parse(server.Custody("verify", "--objects", "--json").Output).RootElement;
        var unclaimed = verify.GetProperty("unclaimedObjects").EnumerateArray().Select(o => o.GetString()).ToList();
        unclaimed.Should().Contain(kept).And.NotContain(sha);
        verify.GetProperty("ok").GetBoolean().Should().BeTrue("an unregistered upload is a finding, not broken custody");
    }

    [Fact]
    public async Task EveryClientMistake_IsAProblemDocument_NeverAnEmptyBodyOrA500()
    {
        using var anyone = server.Client(null);
        using var dock = server.Client(server.StationKey);

        var noKey = await anyone.GetAsync("/clips");
        await ShouldBeProblemAsync(noKey, HttpStatusCode.Unauthorized, "key");
        noKey.Headers.WwwAuthenticate.Select(h => h.Scheme).Should().Contain("Bearer");
        var badKey = await server.Client("evk_" + new string('e', 64)).GetAsync("/clips");
        await ShouldBeProblemAsync(badKey, HttpStatusCode.Unauthorized, "revoked");
        badKey.Headers.WwwAuthenticate.ToString().Should().Contain("invalid_token");
        await ShouldBeProblemAsync(await server.Client(server.NoRoleKey).GetAsync("/clips"), HttpStatusCode.Forbidden, "role");

        await ShouldBeProblemAsync(await dock.PostAsync("/dock/sessions", new StringContent("deviceSerial=A1", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "application/json");
        await ShouldBeProblemAsync(await dock.PostAsync("/dock/sessions", new StringContent("{\"deviceSerial\": ", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "JSON");
        await ShouldBeProblemAsync(await dock.PostAsJsonAsync("/clips", new { sha256 = new string('a', 64), size = 10 }), HttpStatusCode.BadRequest, "facts");
        await ShouldBeProblemAsync(await dock.PostAsJsonAsync("/explanations", new { text = "no form" }), HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
        using var noResumed = new MultipartFormDataContent { { new StringContent("x"), "text" } };
        await ShouldBeProblemAsync(await dock.PostAsync("/explanations", noResumed), HttpStatusCode.BadRequest, "resumed");
        await ShouldBeProblemAsync(await dock.GetAsync("/no/such/endpoint"), HttpStatusCode.NotFound, "/no/such/endpoint");
    }

    [Fact]
    public async Task StationFacts_AreBounded_AndARefusalNamesTheFieldAndLedgersNothing()
    {
        using var dock = server.Client(server.StationKey);
        var (size, sha) = await PutAsync(dock, 5_000);
        var before = server.Log().Count;

        var longName = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size, facts = new { fileName = "A.MP4", officerName = new string('张', 100_000) } });
        var manyFlags = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size, facts = new { fileName = "B.MP4", flags = Enumerable.Range(0, 10_000).Select(i => $"flag-{i}") } });
        var unknownFlag = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size, facts = new { fileName = "C.MP4", flags = new[] { "empty", "made-up" } } });
        var longSerial = await dock.PostAsJsonAsync("/dock/sessions", new { deviceSerial = new string('9', 1_000) });
        // With Expect: 100-continue, as a client sending a large body should: the 413 comes before the body
        // is sent (without it the server may close while the client still writes, a broken pipe).
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/clips") { Content = new StringContent($"{{\"sha256\":\"{sha}\",\"size\":{size},\"facts\":{{\"fileName\":\"{new string('x', 3 << 20)}\"}}}}", Encoding.UTF8, "application/json") };
        oversized.Headers.ExpectContinue = true;
        var huge = await dock.SendAsync(oversized);

        (await ShouldBeProblemAsync(longName, HttpStatusCode.BadRequest, "officerName")).GetProperty("errors").EnumerateObject().Select(e => e.Name).Should().Contain("facts.officerName");
        await ShouldBeProblemAsync(manyFlags, HttpStatusCode.BadRequest, "flags");
        await ShouldBeProblemAsync(unknownFlag, HttpStatusCode.BadRequest, "made-up");
        await ShouldBeProblemAsync(longSerial, HttpStatusCode.BadRequest, "deviceSerial");
        await ShouldBeProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge, "bytes");
        server.Log().Count.Should().Be(before, "no refused fact reaches the ledger");

        var known = await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size, facts = new { fileName = "D.MP4", officerName = "张三", flags = new[] { "unparsed-name" } } });
        known.StatusCode.Should().Be(HttpStatusCode.Created, await known.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_SaysTheLedgerCannotBeWritten_WhileAnotherProcessHoldsItsWriteLock()
    {
        using var anyone = server.Client(null);
        var healthy = await anyone.GetFromJsonAsync<JsonElement>("/health");
        healthy.GetProperty("ledger").GetProperty("writable").GetBoolean().Should().BeTrue();
        healthy.GetProperty("signing").GetProperty("ok").GetBoolean().Should().BeTrue();
        healthy.GetProperty("signing").GetProperty("keyFingerprint").GetString().Should().NotBeNullOrEmpty();

        using (var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.Data, "catalog.db")};Pooling=False"))
        {
            holder.Open();
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();

            var blocked = await anyone.GetAsync("/health");

            blocked.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            var body = await blocked.Content.ReadFromJsonAsync<JsonElement>();
            body.GetProperty("status").GetString().Should().Be("failing");
            body.GetProperty("ledger").GetProperty("writable").GetBoolean().Should().BeFalse();
            body.GetProperty("ledger").GetProperty("writeProblem").GetString().Should().Contain("locked");
            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        (await anyone.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString().Should().Be("ok");
    }

    [Fact]
    public async Task AServerError_IsAProblemWithACorrelationId_ThatTheServerLogged()
    {
        using var dock = server.Client(server.StationKey);
        // The store's spool folder replaced by a file (a botched restore, a full mount gone): the disk
        // refuses the upload, as it would whoever runs the server.
        var spool = Path.Combine(server.Data, "objects", "tmp");
        Directory.Move(spool, spool + ".away");
        File.WriteAllText(spool, "not a folder");
        HttpResponseMessage failed;
        try
        {
            var bytes = RandomNumberGenerator.GetBytes(1_000);
            failed = await dock.PutAsync($"/objects/{Convert.ToHexStringLower(SHA256.HashData(bytes))}", new ByteArrayContent(bytes));
        }
        finally
        {
            File.Delete(spool);
            Directory.Move(spool + ".away", spool);
        }

        var problem = await ShouldBeProblemAsync(failed, HttpStatusCode.InternalServerError, "correlation");
        var correlation = problem.GetProperty("correlationId").GetString()!;
        problem.GetRawText().Should().NotContain(".cs:line").And.NotContain("   at ");
        failed.Headers.GetValues("X-Correlation-Id").Should().Equal(correlation);
        await Tools.EventuallyAsync(() => server.Process.Output.Contains(correlation, StringComparison.Ordinal), "the server logs the error under the id it gave the client");
    }

    [Fact]
    public async Task InDevelopment_CommandsWork_AndErrorsShowNoStackTrace()
    {
        using var development = ApiServer.Start(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Development" }, null);
        using var dock = development.Client(development.StationKey);

        var session = await dock.PostAsJsonAsync("/dock/sessions", new { deviceSerial = "A1B2C3D" });
        var broken = await dock.PostAsync("/dock/sessions", new StringContent("{", Encoding.UTF8, "application/json"));

        session.StatusCode.Should().Be(HttpStatusCode.Created, await session.Content.ReadAsStringAsync());
        var text = await broken.Content.ReadAsStringAsync();
        broken.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        text.Should().NotContain(".cs:line").And.NotContain("   at ").And.NotContain("/src/");
    }

    [Fact]
    public async Task StalledUploads_HoldABoundedBufferEach_AndAreDroppedWithTheirSpoolWhenIdle()
    {
        // Each client sends 6 MB and then nothing: the API may hold at most its stated buffer per upload
        // (docs/deploy.md: 2 × 128 KiB), refuses uploads beyond --max-uploads, and drops an idle one.
        using var api = ApiServer.Start(null, ["--max-uploads", "40", "--upload-idle-seconds", "15"]);
        using (var warm = api.Client(api.StationKey))
        {
            for (var i = 0; i < 3; i++)
            {
                await PutAsync(warm, 8 << 20);
            }
        }

        var baseline = api.Process.ResidentBytes();
        var stalled = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 40; i++)
            {
                stalled.Add(await StallAsync(api, 6 << 20));
            }

            // Every stalled upload is open and has spooled what was sent (well within the idle timeout).
            var spool = Path.Combine(api.Data, "objects", "tmp");
            await Tools.EventuallyAsync(() => Directory.GetFiles(spool).Length == 40 && Directory.GetFiles(spool).Sum(f => new FileInfo(f).Length) >= 40L * ((6 << 20) - (256 << 10)), "the server takes in what the 40 clients sent");
            var grown = api.Process.ResidentBytes() - baseline;

            grown.Should().BeLessThan(40L * (1 << 20), $"40 stalled uploads grew the server by {grown / (1 << 20)} MiB; the bound is 256 KiB each plus the connection");
            using var beyond = api.Client(api.StationKey);
            var refused = await beyond.PutAsync($"/objects/{new string('1', 64)}", new ByteArrayContent(new byte[10]));
            await ShouldBeProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "uploads");
            refused.Headers.RetryAfter.Should().NotBeNull();

            await Tools.EventuallyAsync(() => Directory.GetFiles(Path.Combine(api.Data, "objects", "tmp")).Length == 0, "idle uploads are dropped with their spooled parts", TimeSpan.FromSeconds(60));
            var after = await api.Client(api.StationKey).PutAsync($"/objects/{new string('1', 64)}", new ByteArrayContent(new byte[10]));
            after.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "the slots of dropped uploads are given back");
        }
        finally
        {
            stalled.ForEach(c => c.Dispose());
        }
    }

    /// <summary>A PUT whose headers promise more than is sent: <paramref name="sent"/> bytes, then silence.</summary>
    private static async Task<TcpClient> StallAsync(ApiServer api, int sent)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, api.BaseAddress.Port);
        var stream = client.GetStream();
        var head = $"PUT /objects/{new string('2', 64)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {api.StationKey}\r\nContent-Type: application/octet-stream\r\nContent-Length: {100L << 20}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(RandomNumberGenerator.GetBytes(sent));
        await stream.FlushAsync();
        return client;
    }

    private static async Task<JsonElement> ShouldBeProblemAsync(HttpResponseMessage response, HttpStatusCode status, string mentions)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType?.MediaType.Should().BeOneOf(ProblemTypes, text);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        problem.GetProperty("status").GetInt32().Should().Be((int)status);
        problem.GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        text.Should().ContainEquivalentOf(mentions);
        return problem;
    }

    private static async Task<(int Size, string Sha)> PutAsync(HttpClient dock, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        return (size, sha);
    }

    private string ObjectFile(string sha) => Path.Combine(server.Data, "objects", "sha256", sha[..2], sha[2..4], sha);
}
