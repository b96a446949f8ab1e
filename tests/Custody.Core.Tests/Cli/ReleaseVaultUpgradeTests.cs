using System.Text.Json;
using System.Text.Json.Nodes;
using EvidenceVault.Custody.Catalog;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>
/// A vault made by a released build (tests/fixtures/release-*, made by make-release-vault.sh) must
/// open under this code, migrate, verify, and report the same facts that release reported.
/// </summary>
public sealed class ReleaseVaultUpgradeTests : IDisposable
{
    private readonly string _copy = Tools.TempDirectory("ev-release-");

    public void Dispose() => Directory.Delete(_copy, recursive: true);

    public static TheoryData<string> Releases()
    {
        var releases = new TheoryData<string>();
        foreach (var folder in Directory.GetDirectories(Path.Combine(Tools.RepoRoot, "tests", "fixtures"), "release-*").Order(StringComparer.Ordinal))
        {
            releases.Add(Path.GetFileName(folder));
        }

        return releases;
    }

    [Theory]
    [MemberData(nameof(Releases))]
    public void Open_VaultOfARelease_MigratesVerifiesAndReportsWhatThatReleaseReported(string release)
    {
        var fixture = Path.Combine(Tools.RepoRoot, "tests", "fixtures", release);
        CopyTree(Path.Combine(fixture, "vault"), _copy);

        var migrate = Tools.Dotnet("custody", ["database", "migrate", "--data", _copy, "--json"]);

        migrate.ExitCode.Should().Be(0, migrate.Error);
        var report = JsonDocument.Parse(migrate.Output).RootElement;
        report.GetProperty("store").GetString().Should().Be("sqlite");
        report.GetProperty("schemaVersion").GetInt32().Should().Be(CatalogSchema.CurrentVersion);
        var verify = Tools.Dotnet("custody", ["verify", "--data", _copy, "--objects"]);
        verify.ExitCode.Should().Be(0, verify.Output + verify.Error);
        verify.Output.Should().Be(File.ReadAllText(Path.Combine(fixture, "verify.txt")));
        KeepsEveryField(Lines("clips"), Expected(fixture, "clips"), "custody clips --json");
        KeepsEveryField(Lines("log"), Expected(fixture, "log"), "custody log --json");

        // And the upgraded vault keeps taking custody: a new dock is sealed, signed and verifies with the old entries.
        var camera = Path.Combine(_copy, "..", Path.GetFileName(_copy) + "-camera");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, "after-upgrade.mp4"), [7, 7, 7]);
        var dock = Tools.Dotnet("deviceagent", ["ingest", camera, "--data", _copy, "--json"]);
        Directory.Delete(camera, recursive: true);
        dock.ExitCode.Should().Be(0, dock.Output + dock.Error);
        var after = Tools.Dotnet("custody", ["verify", "--data", _copy, "--objects", "--json"]);
        after.ExitCode.Should().Be(0, after.Output + after.Error);
        Lines("clips").Should().HaveCount(Expected(fixture, "clips").Count + 1);
    }

    /// <summary>The same records in the same order, each with every field the release printed, at the same value; fields may be added.</summary>
    private static void KeepsEveryField(List<string> now, List<string> release, string what)
    {
        now.Should().HaveSameCount(release, what);
        for (var i = 0; i < release.Count; i++)
        {
            var current = JsonNode.Parse(now[i])!.AsObject();
            foreach (var (name, value) in JsonNode.Parse(release[i])!.AsObject())
            {
                current.ContainsKey(name).Should().BeTrue($"{what} line {i + 1} still has \"{name}\"");
                JsonNode.DeepEquals(current[name], value).Should().BeTrue($"{what} line {i + 1} \"{name}\" was {value?.ToJsonString()}, now {current[name]?.ToJsonString()}");
            }
        }
    }

    private List<string> Lines(string verb)
    {
        var result = Tools.Dotnet("custody", [verb, "--data", _copy, "--json"]);
        result.ExitCode.Should().Be(0, result.Error);
        return [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static List<string> Expected(string fixture, string verb) =>
        [.. File.ReadAllLines(Path.Combine(fixture, verb + ".json")).Where(l => l.Length > 0)];

    private static void CopyTree(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }

        // Git keeps no file modes but the executable bit: a fresh checkout leaves the release's key
        // group-readable, which the vault refuses (chmod 600, as it tells the operator).
        var key = Path.Combine(to, "keys", "ledger-signing.key");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }
}
