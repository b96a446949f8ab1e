using System.Net.Http.Headers;
using System.Text.Json;

namespace EvidenceVault.Api.Tests;

/// <summary>
/// The real Ingest.Api process on a fresh embedded vault, bound to 127.0.0.1 on a free port and
/// stopped at the end; keys issued with the real `custody account issue`.
/// </summary>
public sealed class ApiServer : IDisposable
{
    private readonly ApiProcess _process;

    public ApiServer()
        : this(null, null)
    {
    }

    private ApiServer(IDictionary<string, string>? environment, IEnumerable<string>? arguments)
    {
        Work = Tools.TempDirectory("ev-api");
        BaseAddress = new Uri($"http://127.0.0.1:{Tools.FreePort()}");
        _process = new ApiProcess(Data, BaseAddress, environment, arguments: arguments);

        // The API created the vault; keys issued now by the CLI work at once (they share it through SQLite WAL).
        Custody("policy", "set", "--profile", "hebei-street-office", "--reason", "set-up", "--by", "admin");
        StationKey = Issue("dock-01", "station");
        ClerkKey = Issue("clerk01", "person", "clerk");
        OfficerKey = Issue("officer01", "person", "officer");
        NoRoleKey = Issue("visitor", "person");
    }

    public string Work { get; }

    public string Data => Path.Combine(Work, "vault");

    public Uri BaseAddress { get; }

    public string StationKey { get; }

    public string ClerkKey { get; }

    public string OfficerKey { get; }

    public string NoRoleKey { get; }

    /// <summary>A server of its own for one test.</summary>
    /// <param name="environment">The server's environment (e.g. ASPNETCORE_ENVIRONMENT).</param>
    /// <param name="arguments">More of its command line.</param>
    public static ApiServer Start(IDictionary<string, string>? environment, IEnumerable<string>? arguments) => new(environment, arguments);

    /// <summary>The running server process: its log and its memory.</summary>
    public ApiProcess Process => _process;

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>custody VERB [SUBVERB] --data VAULT ARGS..., which must succeed.</summary>
    internal Tools.Result Custody(params string[] args)
    {
        var result = Tools.Custody(Data, args);
        result.ExitCode.Should().Be(0, result.Error);
        return result;
    }

    public List<JsonElement> Log() => [.. Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines()];

    public void Dispose()
    {
        _process.Dispose();
        Directory.Delete(Work, recursive: true);
    }

    private string Issue(string id, string kind, string? role = null)
    {
        var key = JsonDocument.Parse(Custody("account", "issue", "--id", id, "--kind", kind, "--reason", "test set-up", "--by", "admin", "--json").Output).RootElement.GetProperty("key").GetString()!;
        if (role is not null)
        {
            Custody("role", "grant", "--user", id, "--role", role, "--reason", "test set-up", "--by", "admin");
        }

        return key;
    }
}
