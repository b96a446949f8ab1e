namespace EvidenceVault.DeviceAgent.Tests.Ingest;

/// <summary>deviceagent ingest into a vault on a real filesystem that fills up mid-dock (a size-limited tmpfs).</summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-diskfull");

    private string Data => Path.Combine(_work, "data");

    public DiskFullTests()
    {
        Directory.CreateDirectory(Data);
        var mount = Tools.Run("mount", ["-t", "tmpfs", "-o", "size=4m,mode=755", "tmpfs", Data]);
        mount.ExitCode.Should().Be(0, "the test mounts a small filesystem for the vault (it runs as root, as ./build.sh test does): " + mount.Error);
    }

    public void Dispose()
    {
        Tools.Run("umount", ["-l", Data]);
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public void Ingest_DockDiskFills_EveryFileReportedAsDiskFullAndTheNextDockLedgersTheRest()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2");
        for (var i = 1; i <= 6; i++)
        {
            File.WriteAllBytes(Path.Combine(volume, "DCIM", $"FILL_{i:00}.MP4"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20));
        }

        var files = Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Length;

        var full = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"]);

        full.ExitCode.Should().Be(1, full.Error);
        var outcomes = full.JsonLines();
        outcomes.Should().HaveCount(files, "every file gets its outcome line, also when the disk is full");
        var failed = outcomes.Where(o => o.GetProperty("status").GetString() == "failed").ToList();
        failed.Should().NotBeEmpty().And.OnlyContain(o => o.GetProperty("error").GetString()!.StartsWith("disk full", StringComparison.Ordinal) && o.GetProperty("error").GetString()!.Contains(Data, StringComparison.Ordinal));
        full.Error.Should().NotContain("not a readable vault catalog");
        Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Should().HaveCount(files, "nothing left the camera");

        Tools.Run("mount", ["-o", "remount,size=64m", Data]).ExitCode.Should().Be(0);
        var freed = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json", "--delete-after-custody"]);

        freed.ExitCode.Should().Be(0, freed.Error);
        freed.JsonLines().Should().HaveCount(files);
        var verify = Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]);
        verify.ExitCode.Should().Be(0, verify.Output);
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Count(e => e.GetProperty("type").GetString() == "ClipIngested").Should().Be(files);
        Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Should().BeEmpty("every file's bytes are in verified custody now");
    }

    [Fact]
    public void Ingest_CatalogCannotGrow_EveryFileReportedAsDiskFullAndTheNextDockLedgersWhatWasStored()
    {
        Tools.Dotnet("deviceagent", ["ingest", Tools.MakeCamera(Path.Combine(_work, "first"), "clip:1"), "--data", Data]).ExitCode.Should().Be(0);
        // Empty originals need no space in the object store, but each is a custody fact the catalog must grow for.
        var volume = Path.Combine(_work, "cam");
        Directory.CreateDirectory(Path.Combine(volume, "DCIM"));
        for (var i = 1; i <= 40; i++)
        {
            File.WriteAllBytes(Path.Combine(volume, "DCIM", $"EMPTY_{i:00}.MP4"), []);
        }

        // Leave the catalog a few pages: the first facts fit, the rest do not.
        var filler = Path.Combine(Data, "filler");
        File.WriteAllBytes(filler, new byte[new DriveInfo(Data).AvailableFreeSpace - (96 << 10)]);

        var full = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json", "--delete-after-custody"]);

        full.ExitCode.Should().Be(1, full.Error);
        var outcomes = full.JsonLines();
        outcomes.Should().HaveCount(40, "every file gets its outcome line");
        outcomes.Where(o => o.GetProperty("status").GetString() == "failed").Should().NotBeEmpty()
            .And.OnlyContain(o => o.GetProperty("error").GetString()!.StartsWith("disk full: " + Path.Combine(Data, "catalog.db"), StringComparison.Ordinal));
        full.Error.Should().NotContain("not a readable vault catalog");
        Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Length.Should().BeGreaterThan(0, "what is not in custody stays on the camera");

        File.Delete(filler);
        var freed = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"]);

        freed.ExitCode.Should().Be(0, freed.Error);
        Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]).ExitCode.Should().Be(0);
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Count(e => e.GetProperty("type").GetString() == "ClipIngested").Should().Be(41);
    }
}
