namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody deadlines and stats as a script reads them: field names and exit codes are contracts.</summary>
public sealed class DeadlinesCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-deadlines");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Deadlines_LateUploadAndOverdueDevice_AreReportedWithTheContractFields()
    {
        var camera = Path.Combine(_work, "camera", "DCIM");
        Directory.CreateDirectory(camera);
        // Recorded at 08:30 Beijing on 20 November; docked now (23 November or later): more than 24 h late.
        File.WriteAllBytes(Path.Combine(camera, "A1B2C3D_123456_20261120083000_0001.MP4"), [1, 2, 3]);
        var data = Path.Combine(_work, "data");
        var environment = new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "hebei-street-office" };
        Tools.Dotnet("deviceagent", ["ingest", Path.Combine(_work, "camera"), "--data", data], environment).ExitCode.Should().Be(0);

        var result = Tools.Dotnet("custody", ["deadlines", "--data", data, "--at", "2030-01-01T00:00:00+08:00", "--json"]);

        result.ExitCode.Should().Be(0, result.Error);
        var report = System.Text.Json.JsonDocument.Parse(result.Output).RootElement;
        report.GetProperty("profile").GetString().Should().Be("hebei-street-office");
        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        var late = findings.Single(f => f.GetProperty("rule").GetString() == "R1");
        late.GetProperty("article").GetString().Should().Be("001 §21");
        late.GetProperty("subject").GetString().Should().StartWith("clip:");
        late.GetProperty("dueAt").GetString().Should().Be("2026-11-21T00:30:00Z");
        late.GetProperty("lateBy").GetString().Should().NotBeNullOrEmpty();
        var device = findings.Single(f => f.GetProperty("rule").GetString() == "R15");
        device.GetProperty("subject").GetString().Should().Be("device:A1B2C3D");

        var stats = Tools.Dotnet("custody", ["stats", "--data", data, "--json"]);
        var officer = System.Text.Json.JsonDocument.Parse(stats.Output).RootElement.GetProperty("statistics").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "officer");
        officer.GetProperty("onTimeRate").GetDouble().Should().Be(0);
        officer.GetProperty("late").GetInt32().Should().Be(1);
    }

    [Fact]
    public void Deadlines_NoProfileChosen_IsAClearOneLineError()
    {
        var camera = Path.Combine(_work, "camera");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, "x.mp4"), [1]);
        var data = Path.Combine(_work, "data");
        Tools.Dotnet("deviceagent", ["ingest", camera, "--data", data]).ExitCode.Should().Be(0);

        var result = Tools.Dotnet("custody", ["deadlines", "--data", data]);

        result.ExitCode.Should().Be(1);
        result.Error.Trim().Should().StartWith("custody: No policy profile is selected for this vault");
    }
}
