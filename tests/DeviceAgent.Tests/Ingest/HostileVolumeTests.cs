using System.Text.Json;

namespace EvidenceVault.DeviceAgent.Tests.Ingest;

/// <summary>
/// deviceagent ingest against a hostile camera and a careless operator (issue 17): names re-used,
/// files swapped mid-dock, links, bad names, unreadable folders, the vault offered as a camera,
/// two agents racing for a new vault. Real files on a real filesystem, checked through custody.
/// </summary>
public sealed class HostileVolumeTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-hostile");

    private string Data => Path.Combine(_work, "data");

    public void Dispose()
    {
        // A test took permissions away and wrote a name .NET cannot spell: rm handles both.
        Tools.Run("chmod", ["-R", "u+rwx", _work]);
        Tools.Run("rm", ["-rf", _work]);
    }

    private Tools.Result Ingest(string volume, params string[] more) => Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json", .. more]);

    private List<JsonElement> CustodyFacts() =>
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Where(e => e.GetProperty("type").GetString() == "ClipIngested").ToList();

    private static string Status(JsonElement outcome) => outcome.GetProperty("status").GetString()!;

    private static string Name(JsonElement outcome) => outcome.GetProperty("fileName").GetString()!;

    private static IEnumerable<string?> Flags(JsonElement outcome) => outcome.GetProperty("flags").EnumerateArray().Select(f => f.GetString());

    private static string Sha256Of(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Same length, other bytes: what a camera writes under a re-used name after a wipe (constant bit rate, same length).</summary>
    private static void RewriteSameSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void Ingest_NameReusedWithSameSize_IsReadAndKeptAsASecondOriginalBeforeAnyDelete()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        var clip = Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories).Single();
        Ingest(volume).ExitCode.Should().Be(0);
        RewriteSameSize(clip);
        var newBytes = Sha256Of(clip);

        var result = Ingest(volume, "--delete-after-custody");

        result.ExitCode.Should().Be(0, result.Output + result.Error);
        var outcome = result.JsonLines().Single();
        Status(outcome).Should().Be("in-custody", "other bytes under a known name are a new original");
        outcome.GetProperty("sha256").GetString().Should().Be(newBytes);
        outcome.GetProperty("bytesRead").GetInt64().Should().Be(outcome.GetProperty("size").GetInt64(), "it was read, not judged by its name and size");
        Flags(outcome).Should().Contain("name-reused");
        CustodyFacts().Select(f => f.GetProperty("payload").GetProperty("sha256").GetString()).Should().HaveCount(2).And.Contain(newBytes);
        File.Exists(clip).Should().BeFalse("its bytes were read in this dock and are in verified custody");
        Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]).ExitCode.Should().Be(0);
    }

    [Fact]
    public void Ingest_SameUnparsedNameOnTwoCameras_BothAreTaken()
    {
        // Without a serial in the name the device is unknown: VID_0001.MP4 of one camera is not VID_0001.MP4 of another.
        var first = Path.Combine(_work, "one");
        var second = Path.Combine(_work, "two");
        foreach (var (volume, fill) in new[] { (first, (byte)1), (second, (byte)2) })
        {
            Directory.CreateDirectory(Path.Combine(volume, "DCIM"));
            File.WriteAllBytes(Path.Combine(volume, "DCIM", "VID_0001.MP4"), Enumerable.Repeat(fill, 4096).ToArray());
        }

        Ingest(first).ExitCode.Should().Be(0);
        var result = Ingest(second, "--delete-after-custody");

        Status(result.JsonLines().Single()).Should().Be("in-custody");
        CustodyFacts().Select(f => f.GetProperty("payload").GetProperty("sha256").GetString()).Distinct().Should().HaveCount(2);
    }

    [Fact]
    public void Ingest_ReDock_ReadsEveryFileAgainAndAddsNoCustodyFacts()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2");
        var sizes = Directory.GetFiles(volume, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(volume, f), f => new FileInfo(f).Length);
        Ingest(volume).ExitCode.Should().Be(0);
        var facts = CustodyFacts().Count;

        var again = Ingest(volume);

        again.ExitCode.Should().Be(0);
        // The evidence that a file is already in custody is its hash read now, never its name and size.
        again.JsonLines().Should().OnlyContain(c => Status(c) == "already-in-custody" && c.GetProperty("bytesRead").GetInt64() == sizes[Name(c)]);
        CustodyFacts().Should().HaveCount(facts);
    }

    [Fact]
    public async Task Ingest_TwoAgentsAtOnceOnANewVault_OneIdentityOneKeyAndOneFactPerClip()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2", "clip:2", "clip:2", "clip:2", "clip:2");
        var clips = Directory.GetFiles(volume, "*", SearchOption.AllDirectories).Length;

        var both = await Task.WhenAll(Task.Run(() => Ingest(volume)), Task.Run(() => Ingest(volume)));

        both.Should().OnlyContain(r => r.ExitCode == 0);
        both.SelectMany(r => r.JsonLines()).Select(l => l.GetProperty("vault").GetProperty("keyFingerprint").GetString()).Distinct().Should().ContainSingle("one vault, one key");
        var verify = Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]);
        verify.ExitCode.Should().Be(0, verify.Output);
        Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Count(e => e.GetProperty("type").GetString() == "VaultCreated").Should().Be(1);
        CustodyFacts().Should().HaveCount(clips, "a clip's custody fact is written once, whoever wins");
    }

    [Fact]
    public void Ingest_VolumeIsHoldsOrLiesInTheVault_IsRefusedAndNothingIsDeleted()
    {
        Ingest(Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2")).ExitCode.Should().Be(0);
        var before = Directory.GetFiles(Data, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("-shm", StringComparison.Ordinal) && !f.EndsWith("-wal", StringComparison.Ordinal)).ToList();

        foreach (var volume in new[] { Data, _work, Path.Combine(Data, "objects") })
        {
            var result = Ingest(volume, "--delete-after-custody");
            result.ExitCode.Should().NotBe(0, volume);
            result.Error.Should().Contain("vault", volume).And.Contain("not a camera");
        }

        before.Should().OnlyContain(f => File.Exists(f), "the catalog, the key and the originals are untouched");
        Tools.Dotnet("custody", ["verify", "--data", Data, "--objects"]).ExitCode.Should().Be(0);
    }

    [Fact]
    public void Dock_LinkInTheMountRootToTheVault_IsNotFollowed()
    {
        var root = Path.Combine(_work, "dock");
        Directory.CreateDirectory(root);
        Ingest(Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2")).ExitCode.Should().Be(0);
        var objects = Directory.GetFiles(Path.Combine(Data, "objects"), "*", SearchOption.AllDirectories);
        Directory.CreateSymbolicLink(Path.Combine(root, "sdb1"), Path.Combine(Data, "objects"));

        var result = Tools.Dotnet("deviceagent", ["dock", root, "--data", Data, "--once", "--delete-after-custody", "--json"]);

        result.Error.Should().Contain("symbolic link");
        objects.Should().OnlyContain(f => File.Exists(f));
        CustodyFacts().Should().ContainSingle("nothing under the link was taken as a camera's");
    }

    [Fact]
    public async Task Ingest_FileSwappedOrGoneAfterListing_IsNotReadAndNothingOfTheHostIsTaken()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2", "clip:2", "clip:2");
        var files = Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var secret = Path.Combine(_work, "ledger-signing.key");
        File.WriteAllText(secret, "the dock PC's secret");
        var fifoFolder = Path.Combine(_work, "swap");
        Directory.CreateDirectory(fifoFolder);
        Tools.Run("mkfifo", [Path.Combine(fifoFolder, "fifo")]).ExitCode.Should().Be(0);
        var signal = Path.Combine(_work, "listed");

        var ingest = Task.Run(() => Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data, "--json"], new Dictionary<string, string>
        {
            ["EVIDENCEVAULT_FAULT"] = "camera-listed:1:pause",
            ["EVIDENCEVAULT_FAULT_FILE"] = signal,
        }));
        await WaitForAsync(() => File.Exists(signal));
        // Between the listing and the open: one file becomes a link to a host file, one a FIFO, one is gone.
        File.Delete(files[3]);
        File.Delete(files[0]);
        File.CreateSymbolicLink(files[0], secret);
        File.Delete(files[1]);
        File.Move(Path.Combine(fifoFolder, "fifo"), files[1]);
        File.Delete(signal);
        var result = await ingest.WaitAsync(TimeSpan.FromMinutes(2));

        result.ExitCode.Should().Be(1, "three files were not taken");
        var outcomes = result.JsonLines().ToDictionary(o => Path.GetFileName(Name(o)));
        Status(outcomes[Path.GetFileName(files[0])]).Should().Be("failed");
        outcomes[Path.GetFileName(files[0])].GetProperty("error").GetString().Should().Contain("symbolic link");
        Status(outcomes[Path.GetFileName(files[1])]).Should().Be("failed");
        outcomes[Path.GetFileName(files[1])].GetProperty("error").GetString().Should().Contain("not a regular file");
        Status(outcomes[Path.GetFileName(files[2])]).Should().Be("in-custody");
        outcomes[Path.GetFileName(files[3])].GetProperty("error").GetString().Should().Contain("vanished").And.NotContain("FIFO");
        var secretHash = Sha256Of(secret);
        CustodyFacts().Should().NotContain(f => f.GetProperty("payload").GetProperty("sha256").GetString() == secretHash);
    }

    [Fact]
    public void Ingest_NameNotUtf8AndUnreadableFolder_EachNamedAloneAndTheRestTaken()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2", "clip:2");
        var dcim = Path.GetDirectoryName(Directory.GetFiles(volume, "*.MP4", SearchOption.AllDirectories)[0])!;
        // A name whose bytes are not UTF-8 (0xFF), as a damaged FAT directory entry gives.
        Tools.Run("sh", ["-c", "printf 'recorded' > \"$1/$(printf 'VID\\377.MP4')\"", "sh", dcim]).ExitCode.Should().Be(0);
        var locked = Path.Combine(volume, "LOCKED");
        Directory.CreateDirectory(locked);
        File.WriteAllText(Path.Combine(locked, "hidden.MP4"), "x");
        Tools.Run("chmod", ["000", locked]).ExitCode.Should().Be(0);

        // Root reads any folder: the agent runs without the capabilities that override file permissions, as a dock service would.
        var result = Tools.Run("setpriv", ["--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-dac_override,-dac_read_search", "dotnet",
            Path.Combine(AppContext.BaseDirectory, "deviceagent.dll"), "ingest", volume, "--data", Data, "--json"]);

        result.ExitCode.Should().Be(1, result.Error);
        var outcomes = result.JsonLines();
        outcomes.Count(o => Status(o) == "in-custody").Should().Be(3, "both clips and the oddly named file are taken");
        var odd = outcomes.Single(o => Name(o).Contains("\\xFF", StringComparison.Ordinal));
        Name(odd).Should().EndWith("VID\\xFF.MP4");
        Flags(odd).Should().Contain("name-not-utf8");
        var folder = outcomes.Single(o => Name(o) == "LOCKED");
        Status(folder).Should().Be("failed");
        folder.GetProperty("error").GetString().Should().Contain("permission denied").And.Contain("NOT in custody");
    }

    [Fact]
    public void Ingest_SymlinkOnTheCamera_HasItsOwnOutcomeAndFailsTheExitCode()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        File.CreateSymbolicLink(Path.Combine(volume, "DCIM", "A1B2C3D_123456_20261123090000_0002.MP4"), "/etc/hostname");

        var result = Ingest(volume);

        result.ExitCode.Should().Be(1, "a file on the camera was not taken");
        var link = result.JsonLines().Single(o => Name(o) == "DCIM/A1B2C3D_123456_20261123090000_0002.MP4");
        Status(link).Should().Be("skipped-symlink");
        link.GetProperty("bytesRead").GetInt64().Should().Be(0);
    }

    [Fact]
    public void Reports_ControlCharactersInNames_AreEscapedInTextAndExactInJson()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        var hostile = "\u001b[2Jcleared\nin-custody forged.mp4";
        File.WriteAllText(Path.Combine(volume, hostile), "x");

        var text = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", Data]);
        var clips = Tools.Dotnet("custody", ["clips", "--data", Data]);
        var log = Tools.Dotnet("custody", ["log", "--data", Data]);

        text.ExitCode.Should().Be(0, text.Error);
        foreach (var output in new[] { text.Output, clips.Output })
        {
            output.Should().NotContain("\u001b").And.Contain("\\u001b[2Jcleared\\u000ain-custody forged.mp4");
        }

        log.Output.Should().NotContain("\u001b");
        log.Output.Split('\n').Should().NotContain(l => l.StartsWith("in-custody forged", StringComparison.Ordinal));

        text.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(2, "one row per file; a newline in a name forges none");
        Tools.Dotnet("custody", ["clips", "--data", Data, "--json"]).JsonLines().Select(c => c.GetProperty("fileName").GetString()).Should().Contain(hostile);
    }

    [Fact]
    public void Ingest_DataFolderHoldingOtherFiles_IsRefusedAndANewVaultAnnouncesItself()
    {
        var volume = Tools.MakeCamera(Path.Combine(_work, "cam"), "clip:2");
        var typo = Path.Combine(_work, "home");
        Directory.CreateDirectory(typo);
        File.WriteAllText(Path.Combine(typo, "notes.txt"), "someone's files");

        var refused = Tools.Dotnet("deviceagent", ["ingest", volume, "--data", typo, "--json"]);
        var created = Ingest(volume);
        var again = Ingest(volume);

        refused.ExitCode.Should().NotBe(0);
        refused.Error.Should().Contain("not empty").And.Contain("--data");
        Directory.GetFileSystemEntries(typo).Select(Path.GetFileName).Should().BeEquivalentTo(["notes.txt"], "nothing is written into someone's folder");
        created.Error.Should().Contain("NEW vault").And.Contain(Data);
        var key = Tools.Dotnet("custody", ["key", "--data", Data]).Output;
        var vault = created.JsonLines().Single().GetProperty("vault");
        vault.GetProperty("created").GetBoolean().Should().BeTrue();
        vault.GetProperty("path").GetString().Should().Be(Data);
        key.Should().Contain(vault.GetProperty("keyFingerprint").GetString());
        again.Error.Should().NotContain("NEW vault");
        again.JsonLines().Single().GetProperty("vault").GetProperty("created").GetBoolean().Should().BeFalse();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            waited.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(1), "the agent should have reached the point");
            await Task.Delay(20);
        }
    }
}
