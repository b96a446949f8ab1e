using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace EvidenceVault.DeviceAgent.Tests.Forward;

/// <summary>
/// Networked mode: a dock keeps taking cameras into custody in its own spool while the central API is
/// down, and hands everything on when it returns: nothing lost, nothing ledgered twice.
/// </summary>
public sealed class NetworkedModeTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-networked");
    private readonly int _port = Tools.FreePort();
    private ApiProcess? _api;

    private string Central => Path.Combine(_work, "central");

    private string Spool => Path.Combine(_work, "spool");

    private string Api => $"http://127.0.0.1:{_port}";

    public void Dispose()
    {
        StopApi();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task ApiDown_DockStillTakesCustody_AndForwardsEverythingOnceWhenItReturns()
    {
        StartApi();
        var keyFile = Path.Combine(_work, "station.key");
        File.WriteAllText(keyFile, Issue("dock-01"));
        StopApi();

        // The central API is down: the camera is still taken into custody at the dock.
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam1"), "clip:2", "clip:2", "clip:2");
        var docked = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Spool, "--api", Api, "--key-file", keyFile, "--retry-seconds", "0.05", "--json"]);
        docked.ExitCode.Should().Be(0, "custody at the dock does not depend on the network: " + docked.Error);
        var lines = docked.JsonLines();
        lines.Count(l => l.TryGetProperty("sha256", out _)).Should().Be(3);
        var waiting = lines.Last();
        waiting.GetProperty("pending").GetInt32().Should().Be(3);
        waiting.GetProperty("problem").GetString().Should().Contain("unreachable");

        // It returns: everything is handed over, once.
        StartApi();
        var forward = Tools.Dotnet("deviceagent", ["forward", "--data", Spool, "--api", Api, "--key-file", keyFile, "--json"]);
        forward.ExitCode.Should().Be(0, forward.Error);
        var result = forward.JsonLines().Last();
        result.GetProperty("forwarded").GetInt32().Should().Be(3);
        result.GetProperty("pending").GetInt32().Should().Be(0);

        var central = Entries(Central, "ClipIngested");
        central.Should().HaveCount(3);
        central.Should().OnlyContain(e => e.GetProperty("payload").GetProperty("station").GetString() == "dock-01");
        var shas = central.Select(e => e.GetProperty("payload").GetProperty("sha256").GetString()!).ToHashSet();
        shas.Should().BeEquivalentTo(lines.Where(l => l.TryGetProperty("sha256", out _)).Select(l => l.GetProperty("sha256").GetString()));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(volume, "DCIM"), "*.MP4", SearchOption.AllDirectories))
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
            shas.Should().Contain(sha, "every clip on the camera reached central custody byte for byte");
            File.ReadAllBytes(Path.Combine(Central, "objects", "sha256", sha[..2], sha[2..4], sha)).Should().Equal(File.ReadAllBytes(file));
        }

        Entries(Spool, "ClipForwarded").Should().HaveCount(3);
        Entries(Central, "DockSessionOpened").Should().ContainSingle().Which.GetProperty("payload").GetProperty("deviceSerial").GetString().Should().Be("A1B2C3D");

        // Again: nothing left to do, nothing ledgered twice.
        var again = Tools.Dotnet("deviceagent", ["forward", "--data", Spool, "--api", Api, "--key-file", keyFile, "--json"]);
        again.ExitCode.Should().Be(0);
        again.JsonLines().Last().GetProperty("forwarded").GetInt32().Should().Be(0);

        // An answer lost on the way back: the dock registers the same clip again and is told it is there.
        using var client = new HttpClient { BaseAddress = new Uri(Api) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", File.ReadAllText(keyFile));
        var first = central[0].GetProperty("payload");
        var retry = await client.PostAsJsonAsync("/clips", new { sha256 = first.GetProperty("sha256").GetString(), size = first.GetProperty("size").GetInt64(), facts = first.GetProperty("clip") });
        retry.StatusCode.Should().Be(HttpStatusCode.OK);
        (await retry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("alreadyInCustody").GetBoolean().Should().BeTrue();
        Entries(Central, "ClipIngested").Should().HaveCount(3);
    }

    [Fact]
    public void RevokedStationKey_IsRefused_AndTheClipsStayInTheSpool()
    {
        StartApi();
        var keyFile = Path.Combine(_work, "station.key");
        File.WriteAllText(keyFile, Issue("dock-02"));
        Tools.Dotnet("custody", ["account", "revoke", "--data", Central, "--id", "dock-02", "--reason", "dock PC reported stolen", "--by", "admin"]).ExitCode.Should().Be(0);

        var volume = Tools.MakeCamera(Path.Combine(_work, "cam2"), "clip:2");
        var docked = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Spool, "--api", Api, "--key-file", keyFile, "--json"]);
        docked.ExitCode.Should().Be(0);
        var forward = Tools.Dotnet("deviceagent", ["forward", "--data", Spool, "--api", Api, "--key-file", keyFile, "--json"]);
        forward.ExitCode.Should().Be(1);
        var result = forward.JsonLines().Last();
        result.GetProperty("pending").GetInt32().Should().Be(1);
        result.GetProperty("problem").GetString().Should().Contain("refused this station's key");
        Entries(Central, "ClipIngested").Should().BeEmpty();
        Entries(Spool, "ClipIngested").Should().ContainSingle();
    }

    private string Issue(string station)
    {
        var issued = Tools.Dotnet("custody", ["account", "issue", "--data", Central, "--id", station, "--kind", "station", "--reason", "dock set-up", "--by", "admin", "--json"]);
        issued.ExitCode.Should().Be(0, issued.Error);
        return JsonDocument.Parse(issued.Output).RootElement.GetProperty("key").GetString()!;
    }

    private static List<JsonElement> Entries(string data, string type) =>
        [.. Tools.Dotnet("custody", ["log", "--data", data, "--json"]).JsonLines().Where(e => e.GetProperty("type").GetString() == type)];

    private void StartApi() => _api = new ApiProcess(Central, new Uri(Api));

    private void StopApi()
    {
        _api?.Dispose();
        _api = null;
    }
}
