using System.Diagnostics;

namespace EvidenceVault.DeviceAgent.Tests.Ingest;

/// <summary>
/// Power loss or a yanked cable at any point of a dock: the agent is SIGKILLed (no cleanup runs),
/// docked again, and every clip must then be in custody exactly once, with custody verify --objects passing.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-crash");

    private string Data => Path.Combine(_work, "data");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData("vault-key-written", 1)]
    [InlineData("catalog-created", 1)]
    [InlineData("mid-copy", 2)]
    [InlineData("object-stored", 1)]
    [InlineData("object-stored", 3)]
    [InlineData("entry-appended", 2)]
    [InlineData("checkpoint-signed", 1)]
    [InlineData("checkpoint-signed", 2)]
    public void Ingest_KilledAtAFaultPointThenDockedAgain_EveryClipInCustodyExactlyOnce(string point, int hit)
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2", "clip:2", "clip:2");

        var crashed = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"], new Dictionary<string, string> { ["EVIDENCEVAULT_FAULT"] = $"{point}:{hit}" });
        crashed.ExitCode.Should().Be(137, "the agent was killed with SIGKILL at {0}", point);

        var again = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"]);

        again.ExitCode.Should().Be(0, again.Error);
        AssertEveryClipExactlyOnce(volume);
    }

    [Fact]
    public void Ingest_KilledAtRandomMomentsThenDockedAgain_EveryClipInCustodyExactlyOnce()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "--size", "640x480", "clip:4", "clip:4", "clip:4", "clip:4", "clip:4", "clip:4");
        var random = new Random(947);
        for (var round = 0; round < 6; round++)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "deviceagent.dll"), "ingest", volume, "--data", Data })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            Thread.Sleep(150 + random.Next(600));
            process.Kill();
            process.WaitForExit();
        }

        var final = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data]);

        final.ExitCode.Should().Be(0, final.Error);
        AssertEveryClipExactlyOnce(volume);
    }

    private void AssertEveryClipExactlyOnce(string volume)
    {
        var names = Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(volume, f)).ToList();
        var custody = Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines()
            .Where(e => e.GetProperty("type").GetString() == "ClipIngested")
            .Select(e => e.GetProperty("payload").GetProperty("clip").GetProperty("fileName").GetString())
            .ToList();
        custody.Should().BeEquivalentTo(names, "each clip is in custody exactly once");
        var verify = Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]);
        verify.ExitCode.Should().Be(0, verify.Output);
        Directory.GetFiles(Path.Combine(Data, "objects", "tmp")).Should().BeEmpty("partial copies of a killed dock are removed");
    }
}
