using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceVault.Custody.Access;

namespace EvidenceVault.Api.Tests;

/// <summary>
/// Issue 21: the authorization matrix, every endpoint × every kind of caller × the caller's unit
/// relation to the clip × its confidentiality label, asked of the running API. The answers are
/// docs/access.md: the test renders what the server did and fails when the document says otherwise
/// (a rule changed without its document, or the document promises what the server does not do).
/// </summary>
public sealed class AccessMatrixTests(ApiServer server) : IClassFixture<ApiServer>
{
    private const string CaseNumber = "冀执罚〔2026〕1号";
    private const string LabelledCase = "冀执罚〔2026〕2号";

    [Fact]
    public async Task EveryEndpointCallerUnitAndLabel_IsAnsweredAsDocsAccessMdSays()
    {
        // The agency: 东城分局 (east) over 东城一所 (east-1); 西城分局 (west) beside them. The clip is recorded by
        // officer o-e1 of east-1, so it belongs to east-1.
        server.Custody("unit", "create", "--id", "east", "--name", "东城分局", "--reason", "matrix", "--by", "admin");
        server.Custody("unit", "create", "--id", "east-1", "--name", "东城一所", "--parent", "east", "--reason", "matrix", "--by", "admin");
        server.Custody("unit", "create", "--id", "west", "--name", "西城分局", "--reason", "matrix", "--by", "admin");
        var keys = new Dictionary<string, string?>
        {
            ["anonymous"] = null,
            ["station"] = server.StationKey,
            ["person, no role"] = server.NoRoleKey,
            ["officer, own clip"] = Issue("o-e1", "east-1", Roles.Officer),
            ["officer, another's"] = Issue("o-e1b", "east-1", Roles.Officer),
            ["clerk, clip's unit"] = Issue("c-e1", "east-1", Roles.Clerk),
            ["clerk, unit above"] = Issue("c-e", "east", Roles.Clerk),
            ["clerk, other unit"] = Issue("c-w", "west", Roles.Clerk),
            ["supervisor, unit above"] = Issue("s-e", "east", Roles.Supervisor),
            ["supervisor, other unit"] = Issue("s-w", "west", Roles.Supervisor),
            ["auditor"] = Issue("a-1", null, Roles.Auditor),
        };
        var (sha, bytes) = await DockAsync("o-e1", "M.MP4");
        server.Custody("case", "register", "--number", CaseNumber, "--cause", "matrix", "--by", "admin");
        server.Custody("case", "link", "--number", CaseNumber, "--clip", sha, "--reason", "matrix", "--by", "admin");

        var byUnit = await MatrixAsync(keys, Endpoints(sha, bytes, CaseNumber));

        // The same clip relation, the clip and its case labelled personal privacy (R10): only a clearance opens it.
        var (secret, secretBytes) = await DockAsync("o-e1", "P.MP4");
        server.Custody("case", "register", "--number", LabelledCase, "--cause", "matrix", "--by", "admin");
        server.Custody("case", "link", "--number", LabelledCase, "--clip", secret, "--reason", "matrix", "--by", "admin");
        server.Custody("label", "set", "--clip", secret, "--label", "personal-privacy", "--reason", "matrix: a minor is seen", "--by", "s-e");
        server.Custody("label", "set", "--case", LabelledCase, "--label", "personal-privacy", "--reason", "matrix", "--by", "s-e");
        var labelled = new Dictionary<string, string?>
        {
            ["officer, own clip"] = keys["officer, own clip"],
            ["officer, another's, cleared"] = Issue("o-e1c", "east-1", Roles.Officer, "clearance:personal-privacy"),
            ["clerk, clip's unit"] = keys["clerk, clip's unit"],
            ["clerk, clip's unit, cleared"] = Issue("c-e1c", "east-1", Roles.Clerk, "clearance:personal-privacy"),
            ["supervisor, unit above"] = keys["supervisor, unit above"],
            ["supervisor, unit above, cleared"] = Issue("s-ec", "east", Roles.Supervisor, "clearance:personal-privacy"),
            ["auditor"] = keys["auditor"],
            ["auditor, cleared"] = Issue("a-1c", null, Roles.Auditor, "clearance:personal-privacy"),
        };
        // o-e1c did not record it: a clearance opens a label, not another officer's recording.
        var byLabel = await MatrixAsync(labelled, Endpoints(secret, secretBytes, LabelledCase).Where(e => e.Name.StartsWith("GET", StringComparison.Ordinal) && e.Name is not ("GET /health" or "GET /checkpoints/latest" or "GET /openapi/v1.json" or "GET /inbox")).ToArray());

        var document = Path.Combine(Tools.RepoRoot, "docs", "access.md");
        var written = File.Exists(document) ? File.ReadAllText(document) : string.Empty;
        foreach (var (what, observed) in new[] { ("by unit", byUnit), ("by label", byLabel) })
        {
            if (!written.Contains(observed, StringComparison.Ordinal))
            {
                File.WriteAllText(Path.Combine(server.Work, $"access-observed-{what.Replace(' ', '-')}.md"), observed);
                throw new Xunit.Sdk.XunitException($"docs/access.md does not hold the matrix ({what}) the server answered:\n{observed}");
            }
        }
    }

    private static (string Name, Func<HttpRequestMessage> Request)[] Endpoints(string sha, byte[] bytes, string caseNumber)
    {
        var number = Uri.EscapeDataString(caseNumber);
        return
        [
            ("POST /dock/sessions", () => new(HttpMethod.Post, "/dock/sessions") { Content = JsonContent.Create(new { deviceSerial = "A1B2C3D" }) }),
            ("PUT /objects/{sha256}", () => new(HttpMethod.Put, $"/objects/{sha}") { Content = new ByteArrayContent(bytes) }),
            ("POST /clips", () => new(HttpMethod.Post, "/clips") { Content = JsonContent.Create(new { sha256 = sha, size = bytes.Length, facts = new { fileName = "M.MP4", deviceSerial = "A1B2C3D", officerId = "o-e1" } }) }),
            ("POST /explanations", () => new(HttpMethod.Post, "/explanations") { Content = new MultipartFormDataContent { { new StringContent(sha), "resumed" }, { new StringContent("other"), "category" }, { new StringContent("说明"), "text" } } }),
            ("GET /clips", () => new(HttpMethod.Get, "/clips?limit=1000")),
            ("GET /clips/{sha256}", () => new(HttpMethod.Get, $"/clips/{sha}")),
            ("GET /clips/{sha256}/trail", () => new(HttpMethod.Get, $"/clips/{sha}/trail")),
            ("GET /clips/{sha256}/content?reason=…", () => new(HttpMethod.Get, $"/clips/{sha}/content?reason=matrix")),
            ("GET /cases/{number}", () => new(HttpMethod.Get, $"/cases/{number}")),
            ("GET /cases/{number}/trail", () => new(HttpMethod.Get, $"/cases/{number}/trail")),
            ("GET /interruptions", () => new(HttpMethod.Get, "/interruptions")),
            ("GET /inbox", () => new(HttpMethod.Get, "/inbox")),
            ("GET /health", () => new(HttpMethod.Get, "/health")),
            ("GET /checkpoints/latest", () => new(HttpMethod.Get, "/checkpoints/latest")),
            ("GET /openapi/v1.json", () => new(HttpMethod.Get, "/openapi/v1.json")),
        ];
    }

    private async Task<string> MatrixAsync(Dictionary<string, string?> keys, (string Name, Func<HttpRequestMessage> Request)[] endpoints)
    {
        var sha = endpoints.Select(e => e.Request().RequestUri!.ToString()).First(u => u.StartsWith("/clips/", StringComparison.Ordinal)).Split('/')[2];
        var table = new StringBuilder();
        table.AppendLine("| endpoint | " + string.Join(" | ", keys.Keys) + " |");
        table.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", keys.Count)));
        foreach (var (name, request) in endpoints)
        {
            var row = new List<string>();
            foreach (var (caller, key) in keys)
            {
                using var client = server.Client(key);
                using var response = await client.SendAsync(request());
                response.StatusCode.Should().NotBe(HttpStatusCode.InternalServerError, $"{caller} on {name}");
                var body = response.IsSuccessStatusCode && name is "GET /clips" or "GET /cases/{number}" ? await response.Content.ReadAsStringAsync() : string.Empty;
                row.Add(response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized => "no (401)",
                    HttpStatusCode.Forbidden => "no (403)",
                    // A list answers everyone it lets in; what matters is whether the clip is in it.
                    _ when name == "GET /clips" => body.Contains(sha, StringComparison.Ordinal) ? "listed" : "not listed",
                    _ when name == "GET /cases/{number}" => body.Contains(sha, StringComparison.Ordinal) ? "yes, with the clip" : "yes, clip hidden",
                    _ => "yes",
                });
            }

            table.AppendLine($"| `{name}` | " + string.Join(" | ", row) + " |");
        }

        return table.ToString();
    }

    private async Task<(string Sha, byte[] Bytes)> DockAsync(string officer, string fileName)
    {
        var bytes = RandomNumberGenerator.GetBytes(2_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        using var dock = server.Client(server.StationKey);
        (await dock.PutAsync($"/objects/{sha}", new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
        (await dock.PostAsJsonAsync("/clips", new { sha256 = sha, size = bytes.Length, facts = new { fileName, deviceSerial = "A1B2C3D", officerId = officer } })).EnsureSuccessStatusCode();
        return (sha, bytes);
    }

    private string Issue(string id, string? unit, params string[] roles)
    {
        var key = JsonDocument.Parse(server.Custody("account", "issue", "--id", id, "--kind", "person", "--reason", "matrix", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        foreach (var role in roles)
        {
            server.Custody("role", "grant", "--user", id, "--role", role, "--reason", "matrix", "--by", "admin");
        }

        if (unit is not null)
        {
            server.Custody("unit", "assign", "--user", id, "--unit", unit, "--reason", "matrix", "--by", "admin");
        }

        return key;
    }
}
