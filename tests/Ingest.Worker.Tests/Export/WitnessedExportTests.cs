using System.Text.Json;
using EvidenceVault.Tests;

namespace EvidenceVault.Worker.Tests.Export;

/// <summary>
/// Issue 20: the court pins the witness's key beside the agency's. A package cosigned by the witness
/// verifies; one exported from the same vault put back to an older copy and extended again carries
/// a checkpoint the witness refused, and fails, although it holds with the agency's key alone.
/// </summary>
public sealed class WitnessedExportTests : IDisposable
{
    private const string Case = "冀执罚〔2026〕21号";
    private readonly Scenario _scenario = new();
    private readonly WitnessProcess _witness;

    public WitnessedExportTests()
    {
        _witness = new WitnessProcess(Path.Combine(_scenario.Work, "procuratorate"));
    }

    public void Dispose()
    {
        _witness.Dispose();
        _scenario.Dispose();
    }

    [Fact]
    public void VerifyExport_WitnessKeyPinned_HoldsOnlyForTheCheckpointTheWitnessCosigned()
    {
        var clip = _scenario.Dock("clip:2").Single();
        var vaultKey = ExportedCase.Must(_scenario.Custody("key")).Output.Split('\n')[0].Trim();
        _witness.Trust(vaultKey);
        _witness.Start();
        ExportedCase.Must(_scenario.Custody("witness", "add", "--url", _witness.Url.ToString(), "--key", _witness.Key, "--reason", "the procuratorate oversees this office", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("policy", "set", "--profile", "hebei-street-office", "--reason", "set-up", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("case", "register", "--number", Case, "--cause", "占道经营", "--by", "clerk01"));
        ExportedCase.Must(_scenario.Custody("case", "link", "--number", Case, "--clip", Scenario.Sha(clip), "--reason", "recorded the matter", "--by", "clerk01"));
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "boss", "--role", "agency-head", "--reason", "head of the office", "--by", "admin"));
        var request = ExportedCase.Must(_scenario.Custody("export", "request", "--case", Case, "--reason", "移送人民法院", "--by", "clerk01")).Output.Trim().Split(' ')[^1];
        ExportedCase.Must(_scenario.Custody("role", "grant", "--user", "legal01", "--role", "reviewer", "--reason", "legal affairs", "--by", "admin"));
        ExportedCase.Must(_scenario.Custody("review", "--request", request, "--opinion", "同意", "--by", "legal01"));
        ExportedCase.Must(_scenario.Custody("export", "approve", "--request", request, "--by", "boss"));
        var copy = Path.Combine(_scenario.Work, "older-copy");
        CopyFolder(_scenario.Data, copy);
        var other = new WitnessProcess(Path.Combine(_scenario.Work, "court")); // pinned by the court, never asked by the vault

        var cosigned = Path.Combine(_scenario.Work, "cosigned");
        ExportedCase.Must(_scenario.Custody("export", "--case", Case, "--out", cosigned));
        var pinned = Tools.Dotnet("custody", ["verify-export", cosigned, "--key", vaultKey, "--witness-key", _witness.Key, "--json"]);
        var bothPinned = Tools.Dotnet("custody", ["verify-export", cosigned, "--key", vaultKey, "--witness-key", _witness.Key, "--witness-key", other.Key]);
        var quorumOne = Tools.Dotnet("custody", ["verify-export", cosigned + ".zip", "--key", vaultKey, "--witness-key", _witness.Key, "--witness-key", other.Key, "--witness-quorum", "1"]);

        // Whoever holds the server puts the older copy back and exports again: a second history.
        Directory.Delete(_scenario.Data, recursive: true);
        CopyFolder(copy, _scenario.Data);
        var forked = Path.Combine(_scenario.Work, "forked");
        ExportedCase.Must(_scenario.Custody("export", "--case", Case, "--out", forked));
        var agencyKeyOnly = Tools.Dotnet("custody", ["verify-export", forked, "--key", vaultKey]);
        var witnessPinned = Tools.Dotnet("custody", ["verify-export", forked, "--key", vaultKey, "--witness-key", _witness.Key]);

        pinned.ExitCode.Should().Be(0, pinned.Output);
        JsonDocument.Parse(pinned.Output).RootElement.GetProperty("witnessesCosigned").GetInt32().Should().Be(1);
        bothPinned.ExitCode.Should().Be(1, "by default every pinned witness must have cosigned");
        bothPinned.Output.Should().Contain("1 of 2 pinned witnesses cosigned this checkpoint, quorum 2");
        quorumOne.ExitCode.Should().Be(0, quorumOne.Output);
        agencyKeyOnly.ExitCode.Should().Be(0, "the agency's key alone cannot tell the forked package from the first");
        witnessPinned.ExitCode.Should().Be(1, witnessPinned.Output);
        witnessPinned.Output.Should().Contain("0 of 1 pinned witnesses cosigned this checkpoint");
        other.Dispose();
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
