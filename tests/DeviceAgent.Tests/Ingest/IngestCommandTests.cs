using System.Text.Json;

namespace EvidenceVault.DeviceAgent.Tests.Ingest;

/// <summary>deviceagent ingest on emulated cameras with real ffmpeg clips, checked through custody's own commands.</summary>
public sealed class IngestCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-agent");

    private string Data => Path.Combine(_work, "data");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Tools.Result Ingest(string volume, params string[] more) => Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json", .. more]);

    private List<JsonElement> CustodyEntries() =>
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Where(e => e.GetProperty("type").GetString() == "ClipIngested").ToList();

    [Fact]
    public void Ingest_EmulatedCamera_EveryFileInVerifiedCustodyReadExactlyOnce()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "gap:60", "clip:2", "imp:2", "truncated:2", "notvideo", "odd:notes.txt");
        var files = Directory.GetFiles(volume, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(volume, f), f => new FileInfo(f).Length);

        var result = Ingest(volume);

        result.ExitCode.Should().Be(0, result.Error);
        var clips = result.JsonLines();
        clips.Should().HaveCount(files.Count);
        foreach (var clip in clips)
        {
            var name = clip.GetProperty("fileName").GetString()!;
            clip.GetProperty("status").GetString().Should().Be("in-custody", name);
            // Read once: exactly the file's bytes came off the camera, no more.
            clip.GetProperty("bytesRead").GetInt64().Should().Be(files[name], name);
            clip.GetProperty("size").GetInt64().Should().Be(files[name]);
            clip.GetProperty("sha256").GetString().Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(volume, name)))));
        }

        var odd = clips.Single(c => c.GetProperty("fileName").GetString() == "DCIM/100MEDIA/notes.txt");
        odd.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Should().BeEquivalentTo("unparsed-name", "empty");
        var important = CustodyEntries().Select(e => e.GetProperty("payload").GetProperty("clip")).Single(c => c.GetProperty("fileName").GetString()!.EndsWith("_IMP.MP4", StringComparison.Ordinal));
        important.GetProperty("important").GetBoolean().Should().BeTrue();
        important.GetProperty("deviceSerial").GetString().Should().Be("A1B2C3D");
        important.GetProperty("officerId").GetString().Should().Be("123456");
        important.GetProperty("recordedStartLocal").GetString().Should().Be($"{RunDates.Day}T08:31:04", "clip:2, gap:60 and clip:2 came before it");
        important.GetProperty("recordedStart").GetString().Should().Be(RunDates.Utc("08:31:04"), "Asia/Shanghai is UTC+8");

        var verify = Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]);
        verify.ExitCode.Should().Be(0, verify.Output);
    }

    [Fact]
    public void Ingest_SameBytesUnderTwoNames_IsOneObjectAndTwoCustodyFacts()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        var clip = Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories).Single();
        File.Copy(clip, Path.Combine(Path.GetDirectoryName(clip)!, "A1B2C3D_123456_20261123090000_0099.MP4"));

        var result = Ingest(volume);

        result.ExitCode.Should().Be(0);
        result.JsonLines().Select(c => c.GetProperty("sha256").GetString()).Distinct().Should().ContainSingle();
        CustodyEntries().Should().HaveCount(2);
        Directory.GetFiles(Path.Combine(Data, "objects", "sha256"), "*", SearchOption.AllDirectories).Should().ContainSingle();
    }

    [Fact]
    public void Ingest_LinksAndHostileNames_NeverLeaveTheVolumeOrBecomePaths()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        var secret = Path.Combine(_work, "dock-pc-secret.txt");
        File.WriteAllText(secret, "not on the camera");
        File.CreateSymbolicLink(Path.Combine(volume, "DCIM", "A1B2C3D_123456_20261123090000_0002.MP4"), secret);
        Directory.CreateSymbolicLink(Path.Combine(volume, "DCIM", "escape"), _work);
        var hostile = "..\\..\\etc\\passwd ; rm -rf $HOME\n.mp4";
        File.WriteAllText(Path.Combine(volume, hostile), "x");

        var result = Ingest(volume);

        result.ExitCode.Should().Be(1, "the two links were not taken");
        var outcomes = result.JsonLines();
        outcomes.Where(c => c.GetProperty("status").GetString() == "in-custody").Select(c => c.GetProperty("fileName").GetString()).Should().HaveCount(2).And.Contain(hostile);
        outcomes.Where(c => c.GetProperty("status").GetString() == "skipped-symlink").Select(c => c.GetProperty("fileName").GetString())
            .Should().BeEquivalentTo("DCIM/A1B2C3D_123456_20261123090000_0002.MP4", "DCIM/escape");
        var names = outcomes.Select(c => c.GetProperty("fileName").GetString()).ToList();
        names.Should().NotContain(n => n!.Contains("secret", StringComparison.Ordinal) || n.StartsWith("DCIM/escape/", StringComparison.Ordinal), "nothing behind a link is read");
        // Objects are named by their hash, whatever the camera called them.
        Directory.GetFiles(Path.Combine(Data, "objects", "sha256"), "*", SearchOption.AllDirectories)
            .Should().OnlyContain(f => Path.GetFileName(f).Length == 64);
    }

    [Fact]
    public void Ingest_DeleteAfterCustody_EmptiesTheCameraOnlyWhenAsked()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2");
        Ingest(volume).ExitCode.Should().Be(0);
        Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Should().HaveCount(2, "nothing is deleted unless configured");

        var result = Ingest(volume, "--delete-after-custody");

        result.ExitCode.Should().Be(0);
        Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Should().BeEmpty();
        Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]).ExitCode.Should().Be(0);
    }

    [Fact]
    public void Ingest_FifoOnTheVolume_IsNamedAsFailedAndTheRestIsTaken()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        Tools.Run("mkfifo", [Path.Combine(volume, "stuck.mp4")]).ExitCode.Should().Be(0);

        var result = Ingest(volume);

        result.ExitCode.Should().Be(1);
        var clips = result.JsonLines();
        clips.Single(c => c.GetProperty("fileName").GetString() == "stuck.mp4").GetProperty("error").GetString().Should().Contain("not a regular file");
        clips.Count(c => c.GetProperty("status").GetString() == "in-custody").Should().Be(1);
    }
}
