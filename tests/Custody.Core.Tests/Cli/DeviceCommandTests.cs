using System.Text.Json;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody device: the camera register (R15, 台账) as the equipment administrator keeps it.</summary>
public sealed class DeviceCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-devices");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void AFault_IsClosedOnlyByARepairRecord_AndTheRegisterShowsStatusDocksAndNotDocked()
    {
        var data = DockOneClip("A1B2C3D");
        Tools.CustodyOk(data, "device", "register", "--serial", "A1B2C3D", "--model", "DSJ-V9", "--unit", "城关街道办", "--administrator", "admin07", "--reason", "issued to the street office", "--by", "admin07");
        Tools.CustodyOk(data, "device", "register", "--serial", "Z9Y8X7W", "--model", "DSJ-V9", "--unit", "城关街道办", "--administrator", "admin07", "--reason", "spare", "--by", "admin07");
        Tools.CustodyOk(data, "device", "assign", "--serial", "A1B2C3D", "--officer", "123456", "--reason", "shift", "--by", "admin07");

        Tools.CustodyFails(data, "device", "repair", "--serial", "A1B2C3D", "--record", "looked fine", "--by", "admin07").Should().Contain("no open fault");
        Tools.CustodyFails(data, "device", "register", "--serial", "A1B2C3D", "--model", "x", "--unit", "x", "--administrator", "x", "--reason", "again", "--by", "admin07").Should().Contain("already on the register");
        Tools.CustodyOk(data, "device", "fault", "--serial", "A1B2C3D", "--fault", "屏幕不亮，按键无反应", "--by", "officer01");
        Device(data, "A1B2C3D").GetProperty("status").GetString().Should().Be("faulty");
        Tools.CustodyOk(data, "device", "repair", "--serial", "A1B2C3D", "--record", "sent to the vendor", "--started", "--by", "admin07");
        var underRepair = Device(data, "A1B2C3D");
        underRepair.GetProperty("status").GetString().Should().Be("under-repair");
        underRepair.GetProperty("openFaults").GetArrayLength().Should().Be(1, "sending a camera for repair does not close its fault");
        Tools.CustodyOk(data, "device", "repair", "--serial", "A1B2C3D", "--record", "vendor replaced the screen, ticket 4471", "--by", "admin07");
        Tools.CustodyOk(data, "device", "retire", "--serial", "Z9Y8X7W", "--reason", "scrapped", "--by", "admin07");
        Tools.CustodyFails(data, "device", "fault", "--serial", "Z9Y8X7W", "--fault", "x", "--by", "officer01").Should().Contain("retired");
        Tools.CustodyFails(data, "device", "fault", "--serial", "NOPE", "--fault", "x", "--by", "officer01").Should().Contain("not on the register");

        var camera = Device(data, "A1B2C3D");
        camera.GetProperty("status").GetString().Should().Be("in-service");
        camera.GetProperty("openFaults").GetArrayLength().Should().Be(0);
        camera.GetProperty("faults").GetInt32().Should().Be(1);
        camera.GetProperty("repairs").GetInt32().Should().Be(2);
        camera.GetProperty("officer").GetString().Should().Be("123456");
        camera.GetProperty("administrator").GetString().Should().Be("admin07");
        camera.GetProperty("clips").GetInt32().Should().Be(1, "its docking history comes from the clips it gave");
        camera.GetProperty("lastDockedAt").GetString().Should().NotBeNullOrEmpty();
        Device(data, "Z9Y8X7W").GetProperty("status").GetString().Should().Be("retired");
        var log = Tools.Dotnet("custody", ["log", "--data", data, "--json"]).JsonLines();
        log.Where(e => e.GetProperty("type").GetString()!.StartsWith("Device", StringComparison.Ordinal)).Select(e => e.GetProperty("type").GetString())
            .Should().Equal("DeviceRegistered", "DeviceRegistered", "DeviceAssigned", "DeviceFaultReported", "DeviceRepaired", "DeviceRepaired", "DeviceRetired");
    }

    [Fact]
    public void DeviceList_JoinsTheNotDockedFinding_AndACameraThatNeverDocked()
    {
        var data = DockOneClip("A1B2C3D");
        Tools.CustodyOk(data, "device", "register", "--serial", "A1B2C3D", "--model", "DSJ-V9", "--unit", "城关街道办", "--administrator", "admin07", "--reason", "on the register", "--by", "admin07");
        Tools.CustodyOk(data, "device", "register", "--serial", "Q1W2E3R", "--model", "DSJ-V9", "--unit", "城关街道办", "--administrator", "admin07", "--reason", "new", "--by", "admin07");
        var interval = NodaTime.Duration.FromHours(JsonDocument.Parse(Tools.CustodyOk(data, "policy", "show", "--json")).RootElement.GetProperty("devices").GetProperty("maxHoursBetweenDocks").GetInt32());
        var registered = RunDates.FirstEntryTime(data, "DeviceRegistered");

        var soon = JsonDocument.Parse(Tools.CustodyOk(data, "device", "list", "--at", RunDates.Iso(registered + NodaTime.Duration.FromHours(1)), "--json")).RootElement;
        var later = JsonDocument.Parse(Tools.CustodyOk(data, "device", "list", "--at", RunDates.Iso(registered + interval + NodaTime.Duration.FromHours(1)), "--json")).RootElement;

        soon.GetProperty("devices").EnumerateArray().Where(d => d.TryGetProperty("notDocked", out _)).Should().BeEmpty("neither camera is due yet");
        var devices = later.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("serial").GetString()!);
        devices["A1B2C3D"].GetProperty("notDocked").GetString().Should().Contain("last docked");
        devices["Q1W2E3R"].GetProperty("notDocked").GetString().Should().Contain("never docked");
    }

    private JsonElement Device(string data, string serial) =>
        JsonDocument.Parse(Tools.CustodyOk(data, "device", "list", "--json")).RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("serial").GetString() == serial).Clone();

    private string DockOneClip(string serial)
    {
        var camera = Path.Combine(_work, "camera", "DCIM");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, $"{serial}_123456_{RunDates.Compact}083000_0001.MP4"), [1, 2, 3]);
        var data = Path.Combine(_work, "data");
        Tools.Dotnet("deviceagent", ["ingest", Path.Combine(_work, "camera"), "--data", data], new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "hebei-street-office" }).ExitCode.Should().Be(0);
        return data;
    }
}
