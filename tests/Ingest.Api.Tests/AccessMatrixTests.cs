using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>
/// Issue 21: the authorization matrix, every endpoint × every kind of caller, asked of the running
/// API. The answers are docs/access.md: the test renders what the server did and fails when the
/// document says otherwise (a rule changed without its document, or the document promises what the
/// server does not do).
/// </summary>
public sealed class AccessMatrixTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static readonly string[] Callers = ["anonymous", "station", "person, no role", "officer", "clerk", "supervisor", "auditor"];

    [Fact]
    public async Task EveryEndpointAndCaller_IsAnsweredAsDocsAccessMdSays()
    {
        var keys = new Dictionary<string, string?>
        {
            ["anonymous"] = null,
            ["station"] = server.StationKey,
            ["person, no role"] = server.NoRoleKey,
            ["officer"] = server.OfficerKey,
            ["clerk"] = server.ClerkKey,
            ["supervisor"] = Issue("super01", "supervisor"),
            ["auditor"] = Issue("audit01", "auditor"),
        };
        var bytes = RandomNumberGenerator.GetBytes(2_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using (var dock = server.Client(server.StationKey))
        {
            (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName = "M.MP4", deviceSerial = "A1B2C3D" } })).EnsureSuccessStatusCode();
        }

        var caseNumber = Uri.EscapeDataString("冀执罚〔2026〕1号");
        var endpoints = new (string Name, Func<HttpRequestMessage> Request)[]
        {
            ("POST /dock/sessions", () => new(HttpMethod.Post, "/dock/sessions") { Content = JsonContent.Create(new { deviceSerial = "A1B2C3D" }) }),
            ("PUT /objects/{sha256}", () => new(HttpMethod.Put, $"/objects/{sha}") { Content = new ByteArrayContent(bytes) }),
            ("POST /clips", () => new(HttpMethod.Post, "/clips") { Content = JsonContent.Create(new { sha256 = sha, size = bytes.Length, facts = new { fileName = "M.MP4", deviceSerial = "A1B2C3D" } }) }),
            ("POST /explanations", () => new(HttpMethod.Post, "/explanations") { Content = new MultipartFormDataContent { { new StringContent(sha), "resumed" }, { new StringContent("other"), "category" }, { new StringContent("说明"), "text" } } }),
            ("GET /clips", () => new(HttpMethod.Get, "/clips?limit=1")),
            ("GET /clips/{sha256}", () => new(HttpMethod.Get, $"/clips/{sha}")),
            ("GET /clips/{sha256}/trail", () => new(HttpMethod.Get, $"/clips/{sha}/trail")),
            ("GET /clips/{sha256}/content?reason=…", () => new(HttpMethod.Get, $"/clips/{sha}/content?reason=matrix")),
            ("GET /cases/{number}", () => new(HttpMethod.Get, $"/cases/{caseNumber}")),
            ("GET /cases/{number}/trail", () => new(HttpMethod.Get, $"/cases/{caseNumber}/trail")),
            ("GET /interruptions", () => new(HttpMethod.Get, "/interruptions")),
            ("GET /health", () => new(HttpMethod.Get, "/health")),
            ("GET /checkpoints/latest", () => new(HttpMethod.Get, "/checkpoints/latest")),
            ("GET /openapi/v1.json", () => new(HttpMethod.Get, "/openapi/v1.json")),
        };

        var table = new StringBuilder();
        table.AppendLine("| endpoint | " + string.Join(" | ", Callers) + " |");
        table.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", Callers.Length)));
        foreach (var (name, request) in endpoints)
        {
            var row = new List<string>();
            foreach (var caller in Callers)
            {
                using var client = server.Client(keys[caller]);
                using var response = await client.SendAsync(request());
                response.StatusCode.Should().NotBe(HttpStatusCode.InternalServerError, $"{caller} on {name}");
                row.Add(response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => "no (401)",
                    HttpStatusCode.Forbidden => "no (403)",
                    _ => "yes",
                });
            }

            table.AppendLine($"| `{name}` | " + string.Join(" | ", row) + " |");
        }

        var document = Path.Combine(Tools.RepoRoot, "docs", "access.md");
        var observed = table.ToString();
        var written = File.Exists(document) ? File.ReadAllText(document) : string.Empty;
        if (!written.Contains(observed, StringComparison.Ordinal))
        {
            var path = Path.Combine(server.Work, "access-observed.md");
            File.WriteAllText(path, observed);
            throw new Xunit.Sdk.XunitException($"docs/access.md does not hold the matrix the server answered:\n{observed}");
        }
    }

    private string Issue(string id, string role)
    {
        var key = JsonDocument.Parse(server.Custody("account", "issue", "--id", id, "--kind", "person", "--reason", "matrix", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        server.Custody("role", "grant", "--user", id, "--role", role, "--reason", "matrix", "--by", "admin");
        return key;
    }
}
