namespace EvidenceVault.DeviceAgent.Tests.Dock;

/// <summary>deviceagent dock: several docked cameras at once, one of them failing.</summary>
public sealed class DockCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-dock");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Dock_ThreeCamerasOneFailing_TheOthersAreTakenWhole()
    {
        var root = Path.Combine(_work, "mnt");
        Directory.CreateDirectory(root);
        var cameras = new[] { ("A1B2C3D", 3), ("B2C3D4E", 2), ("C3D4E5F", 2) };
        foreach (var (serial, clips) in cameras)
        {
            var volume = Tools.MakeCamera(Path.Combine(_work, serial), ["--serial", serial, .. Enumerable.Repeat("clip:1", clips)]);
            Directory.Move(volume, Path.Combine(root, serial));
        }

        Tools.Run("mkfifo", [Path.Combine(root, "B2C3D4E", "broken.mp4")]).ExitCode.Should().Be(0);
        var data = Path.Combine(_work, "data");

        var result = Tools.Dotnet("deviceagent", ["dock", root, "--data", data, "--once", "--parallel", "3", "--json"]);

        result.ExitCode.Should().Be(1, "one camera had a file that could not be taken");
        var outcomes = result.JsonLines();
        outcomes.Where(o => o.GetProperty("status").GetString() == "in-custody")
            .GroupBy(o => o.GetProperty("deviceSerial").GetString())
            .ToDictionary(g => g.Key!, g => g.Count())
            .Should().BeEquivalentTo(new Dictionary<string, int> { ["A1B2C3D"] = 3, ["B2C3D4E"] = 2, ["C3D4E5F"] = 2 });
        outcomes.Should().ContainSingle(o => o.GetProperty("status").GetString() == "failed");
        Tools.Dotnet("custody", ["verify", "--data", data, "--objects"]).ExitCode.Should().Be(0);
    }
}
