using System.Text.Json;

namespace EvidenceVault.Worker.Tests;

/// <summary>An emulated camera docked into a fresh vault, then the worker run over it: the way the product is used.</summary>
internal sealed class Scenario : IDisposable
{
    public Scenario() => Work = Tools.TempDirectory("ev-worker");

    public string Work { get; }

    public string Data => Path.Combine(Work, "data");

    public void Dispose() => Directory.Delete(Work, recursive: true);

    /// <summary>Makes a camera with make-camera.sh items and docks it.</summary>
    public List<JsonElement> Dock(params string[] items)
    {
        var volume = Tools.MakeCamera(Path.Combine(Work, "cam-" + Guid.NewGuid().ToString("N")[..6]), items);
        var result = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"]);
        result.ExitCode.Should().Be(0, result.Error);
        return result.JsonLines().OrderBy(c => c.GetProperty("fileName").GetString(), StringComparer.Ordinal).ToList();
    }

    public Tools.Result Drain(string? workerId = null) =>
        Tools.Dotnet("Ingest.Worker", ["--data", Data, "--drain", .. workerId is null ? Array.Empty<string>() : ["--worker-id", workerId]]);

    public List<JsonElement> Interruptions() => [.. Tools.Dotnet("custody", ["interruptions", "--data", Data, "--json"]).JsonLines()];

    public List<JsonElement> Clips() => [.. Tools.Dotnet("custody", ["clips", "--data", Data, "--json"]).JsonLines()];

    public List<JsonElement> Entries(string type) =>
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Where(e => e.GetProperty("type").GetString() == type).ToList();

    /// <summary>custody VERB [SUBVERB] --data DIR ARGS... (a second word that is not an option is the subverb).</summary>
    public Tools.Result Custody(params string[] args) => Tools.Custody(Data, args);

    public static string Sha(JsonElement clip) => clip.GetProperty("sha256").GetString()!;
}
