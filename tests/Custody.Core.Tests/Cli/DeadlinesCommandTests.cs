using EvidenceVault.Custody.Policy;

namespace EvidenceVault.Custody.Tests.Cli;

/// <summary>custody deadlines and stats as a script reads them: field names and exit codes are contracts.</summary>
public sealed class DeadlinesCommandTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("ev-deadlines");

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Deadlines_LateUploadAndOverdueDevice_AreReportedWithTheContractFields()
    {
        var data = DockOneLateClip();
        // As of an hour after the camera should have been docked again (R15), counted from the dock's own entry.
        var docked = RunDates.FirstEntryTime(data, "ClipIngested");
        var interval = NodaTime.Duration.FromHours(System.Text.Json.JsonDocument.Parse(Tools.Dotnet("custody", ["policy", "show", "--data", data, "--json"]).Output)
            .RootElement.GetProperty("devices").GetProperty("maxHoursBetweenDocks").GetInt32());

        var result = Tools.Dotnet("custody", ["deadlines", "--data", data, "--at", RunDates.Iso(docked + interval + NodaTime.Duration.FromHours(1)), "--json"]);

        result.ExitCode.Should().Be(0, result.Error);
        var report = System.Text.Json.JsonDocument.Parse(result.Output).RootElement;
        report.GetProperty("profile").GetString().Should().Be("hebei-street-office");
        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        var late = findings.Single(f => f.GetProperty("rule").GetString() == "R1");
        late.GetProperty("article").GetString().Should().Be("001 §21");
        late.GetProperty("subject").GetString().Should().StartWith("clip:");
        late.GetProperty("dueAt").GetString().Should().Be(RunDates.Utc("08:30:00", days: 1), "24 h after the recording (001 §21)");
        late.GetProperty("lateBy").GetString().Should().NotBeNullOrEmpty();
        var device = findings.Single(f => f.GetProperty("rule").GetString() == "R15");
        device.GetProperty("subject").GetString().Should().Be("device:A1B2C3D");

        var stats = Tools.Dotnet("custody", ["stats", "--data", data, "--json"]);
        var officer = System.Text.Json.JsonDocument.Parse(stats.Output).RootElement.GetProperty("statistics").EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "officer");
        officer.GetProperty("onTimeRate").GetDouble().Should().Be(0);
        officer.GetProperty("late").GetInt32().Should().Be(1);
    }

    [Fact]
    public void Deadlines_TimelineRowEditedWithSql_StillReportTheLateUploadFromTheEntries()
    {
        // Issue 18 §3: an administrator makes the recording look as if it began when it was docked.
        var data = DockOneLateClip();
        var at = RunDates.Iso(RunDates.FirstEntryTime(data, "ClipIngested") + NodaTime.Duration.FromHours(1));
        CatalogSql.Run(data, "UPDATE clip_timeline SET start_ns = ingested_ns");

        var report = System.Text.Json.JsonDocument.Parse(Tools.CustodyOk(data, "deadlines", "--at", at, "--json")).RootElement;

        report.GetProperty("findings").EnumerateArray().Should().Contain(f => f.GetProperty("rule").GetString() == "R1" && f.GetProperty("lateBy").GetString()!.Length > 0);
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

    [Fact]
    public void Deadlines_AtBeforeTheDock_CountsOnlyTheEntriesWrittenByThenAndSaysSo()
    {
        var data = DockOneLateClip();
        var docked = RunDates.FirstEntryTime(data, "ClipIngested");
        // The vault and its profile were set up by the same dock, just before the clip: a millisecond before its entry.
        var before = docked - NodaTime.Duration.FromMilliseconds(1);

        var then = Tools.Dotnet("custody", ["deadlines", "--data", data, "--at", NodaTime.Text.InstantPattern.ExtendedIso.Format(before), "--json"]);
        var later = Tools.Dotnet("custody", ["deadlines", "--data", data, "--at", RunDates.Iso(docked + NodaTime.Duration.FromMinutes(1)), "--json"]);
        var text = Tools.Dotnet("custody", ["deadlines", "--data", data, "--at", NodaTime.Text.InstantPattern.ExtendedIso.Format(before)]);

        then.ExitCode.Should().Be(0, then.Error);
        var report = System.Text.Json.JsonDocument.Parse(then.Output).RootElement;
        report.GetProperty("findings").EnumerateArray().Should().NotContain(f => f.GetProperty("rule").GetString() == "R1", "the clip was not in custody yet: it had not been stored late");
        var basis = report.GetProperty("basis");
        basis.GetProperty("historical").GetBoolean().Should().BeTrue();
        basis.GetProperty("ledgerEntries").GetInt64().Should().BeLessThan(basis.GetProperty("ledgerSize").GetInt64());
        System.Text.Json.JsonDocument.Parse(later.Output).RootElement.GetProperty("findings").EnumerateArray()
            .Should().Contain(f => f.GetProperty("rule").GetString() == "R1", "a minute after the dock the late upload is a fact");
        text.Output.Should().Contain("from the ledger as it stood then").And.Contain("later entries are left out");
    }

    [Fact]
    public void CalendarImport_AYearWithoutANotice_MakesItsWorkingDayDeadlinesComputable()
    {
        var camera = Path.Combine(_work, "camera");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, "x.mp4"), [1]);
        var data = Path.Combine(_work, "data");
        Tools.Dotnet("deviceagent", ["ingest", camera, "--data", data], new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "jiaozuo-emergency" }).ExitCode.Should().Be(0);
        // The first year after this one that this build has no notice for; the matter ends on its 10 January (Beijing),
        // after every entry of the test, so the report as of 120 days later rests on all of them.
        var now = RunDates.System.GetCurrentInstant().InZone(RunDates.China).Year;
        var year = Enumerable.Range(now + 1, 20).First(y => !WorkingCalendar.Default.Years.TryGetValue(y, out var notice) || notice is null);
        var ended = new NodaTime.LocalDateTime(year, 1, 10, 10, 0).InZoneStrictly(RunDates.China).ToInstant();
        Tools.CustodyOk(data, "case", "register", "--number", "焦应急罚〔1〕1号", "--cause", "未按规定开展安全培训", "--by", "clerk01");
        Tools.CustodyOk(data, "case", "end", "--number", "焦应急罚〔1〕1号", "--at", RunDates.Iso(ended), "--by", "clerk01");
        var at = RunDates.Iso(ended + NodaTime.Duration.FromDays(120));
        R2(data, at).GetProperty("message").GetString().Should().Be($"cannot compute: calendar for {year} missing");

        // The test's own notice for that year: the days off the law fixes by date (全国年节及纪念日放假办法 Art. 2).
        var notice = Path.Combine(_work, $"holiday-cn-{year}.json");
        var days = new[] { "01-01", "05-01", "05-02", "10-01", "10-02", "10-03" }.Select(d => new { name = "节日", date = $"{year}-{d}", isOffDay = true });
        File.WriteAllText(notice, System.Text.Json.JsonSerializer.Serialize(new { year, papers = new[] { "https://example.org/notice" }, days }));
        var noReason = Tools.Dotnet("custody", ["calendar", "import", "--data", data, "--file", notice, "--source", "https://example.org/notice", "--by", "admin"]);
        noReason.ExitCode.Should().Be(1);
        noReason.Error.Should().Contain("needs a reason");
        var imported = Tools.CustodyOk(data, "calendar", "import", "--file", notice, "--source", "https://example.org/notice", "--reason", "the notice is published", "--by", "admin");
        imported.Should().Contain($"calendar {year} imported: 6 days off, 0 adjusted workdays; ledger entry");

        var finding = R2(data, at);
        var expected = WorkingCalendar.Empty.With(HolidayCalendar.ToYear(HolidayCalendar.Parse(notice, File.ReadAllText(notice), "https://example.org/notice"))).Deadline(ended, 30, workingDays: true);
        finding.GetProperty("dueAt").GetString().Should().Be(NodaTime.Text.InstantPattern.ExtendedIso.Format(expected), "002 §14: 30 working days, counted with the imported year");
        finding.GetProperty("lateBy").GetString().Should().NotBeNullOrEmpty();
        var shown = Tools.Dotnet("custody", ["calendar", "show", "--data", data, "--json"]).JsonLines().Single(y => y.GetProperty("year").GetInt32() == year);
        shown.GetProperty("noticePublished").GetBoolean().Should().BeTrue();
        shown.GetProperty("source").GetString().Should().StartWith("https://example.org/notice");
        Tools.Dotnet("custody", ["log", "--data", data, "--subject", $"calendar:{year}", "--json"]).JsonLines().Should().ContainSingle()
            .Which.GetProperty("type").GetString().Should().Be("CalendarImported");
    }

    /// <summary>A Hebei street-office vault with one clip recorded at 08:30 Beijing on the camera day (nine days before the run), docked now: more than 24 h late.</summary>
    private string DockOneLateClip()
    {
        var camera = Path.Combine(_work, "camera", "DCIM");
        Directory.CreateDirectory(camera);
        File.WriteAllBytes(Path.Combine(camera, $"A1B2C3D_123456_{RunDates.Compact}083000_0001.MP4"), [1, 2, 3]);
        var data = Path.Combine(_work, "data");
        var environment = new Dictionary<string, string> { ["EVIDENCEVAULT_POLICY"] = "hebei-street-office" };
        Tools.Dotnet("deviceagent", ["ingest", Path.Combine(_work, "camera"), "--data", data], environment).ExitCode.Should().Be(0);
        return data;
    }

    private static System.Text.Json.JsonElement R2(string data, string at) =>
        System.Text.Json.JsonDocument.Parse(Tools.CustodyOk(data, "deadlines", "--at", at, "--json")).RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "R2");
}
