namespace EvidenceVault.DeviceAgent.Tests.Sdk;

/// <summary>deviceagent sdk against the C emulator of the vendor dock SDK, loaded by P/Invoke.</summary>
public sealed class SdkCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-sdk");

    private string Camera => Path.Combine(_work, "cam");

    private string Data => Path.Combine(_work, "data");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private Tools.Result Dock(string password = "000000") => Tools.Dotnet(
        "deviceagent",
        ["sdk", "--library", Tools.EmulatorLibrary, "--data", Data, "--volume", Path.Combine(Camera, "volume"), "--password", password, "--json", "--wait-seconds", "2"],
        new Dictionary<string, string> { ["ZFY_EMULATOR_ROOT"] = Camera });

    [Fact]
    public void Sdk_CameraClockAhead_RecordsIdentityAndOffsetThenSyncsTheClock()
    {
        Tools.MakeCamera(Camera, "--clock-offset", "120", "--serial", "ZFY0042", "--officer", "654321", "clip:2");

        var result = Dock();

        result.ExitCode.Should().Be(0, result.Error);
        var entry = Tools.Dotnet("custody", ["log", "--data", Data, "--json"]).JsonLines().Single(e => e.GetProperty("type").GetString() == "ClipIngested");
        var clip = entry.GetProperty("payload").GetProperty("clip");
        clip.GetProperty("deviceSerial").GetString().Should().Be("ZFY0042");
        clip.GetProperty("officerName").GetString().Should().Be("张伟", "GBK from the SDK decodes to the officer's name");
        clip.GetProperty("unitName").GetString().Should().Be("城关派出所");
        clip.GetProperty("clockOffsetSeconds").GetDouble().Should().BeInRange(119, 121);
        clip.GetProperty("recordedStartLocal").GetString().Should().Be($"{RunDates.Day}T08:30:00", "the raw camera time is kept");
        // Corrected: the camera ran 120 s ahead, so the clip really started 120 s earlier (08:28:00 +08:00).
        clip.GetProperty("recordedStart").GetString().Should().BeOneOf(RunDates.Utc("08:27:59"), RunDates.Utc("08:28:00"), RunDates.Utc("08:28:01"));
        clip.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).Should().Contain("clock-offset-exceeds-allowance");
        File.ReadAllText(Path.Combine(Camera, "clock_offset")).Trim().Should().Be("0", "the dock synced the camera's clock after measuring it");
    }

    [Fact]
    public void Sdk_NoVolumeGiven_IngestsTheVolumeMountedUnderTheDockRootBySerial()
    {
        Tools.MakeCamera(Camera, "--serial", "ZFY0077", "clip:2");
        var mounts = Path.Combine(_work, "docked");
        Directory.CreateDirectory(mounts);
        Directory.Move(Path.Combine(Camera, "volume"), Path.Combine(mounts, "ZFY0077"));

        var result = Tools.Dotnet(
            "deviceagent",
            ["sdk", "--library", Tools.EmulatorLibrary, "--data", Data, "--json"],
            new Dictionary<string, string> { ["ZFY_EMULATOR_ROOT"] = Camera, ["EVIDENCEVAULT_DOCK_MOUNTS"] = mounts });

        result.ExitCode.Should().Be(0, result.Error);
        result.JsonLines().Should().ContainSingle().Which.GetProperty("deviceSerial").GetString().Should().Be("ZFY0077");
    }

    [Fact]
    public void Sdk_WrongPassword_ExitsOneNamingTheStepAndIngestsNothing()
    {
        Tools.MakeCamera(Camera, "clip:2");

        var result = Dock(password: "999999");

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("Could not read the camera's identity: the SDK answered 4 (password failed)");
        result.Output.Should().BeEmpty();
    }

    [Theory]
    [InlineData("connect", "Could not connect to the camera: the SDK answered 2 (connect failed)")]
    [InlineData("timesync", "Could not sync the camera's clock: the SDK answered 6 (time sync failed)")]
    [InlineData("msdc", "Could not switch the camera to mass storage: the SDK answered 8 (mass storage failed)")]
    public void Sdk_InjectedDeviceFailure_IsAClearErrorAndTheClockIsNotTouchedBeforeItIsMeasured(string failure, string message)
    {
        Tools.MakeCamera(Camera, "--clock-offset", "30", "clip:2");
        File.WriteAllText(Path.Combine(Camera, "fail"), failure);

        var result = Dock();

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain(message);
        if (failure == "connect")
        {
            File.ReadAllText(Path.Combine(Camera, "clock_offset")).Trim().Should().Be("30");
        }
    }
}
