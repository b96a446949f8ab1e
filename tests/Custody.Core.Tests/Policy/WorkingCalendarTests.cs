using System.Text.Json;
using EvidenceVault.Custody.Policy;
using NodaTime;

namespace EvidenceVault.Custody.Tests.Policy;

public sealed class WorkingCalendarTests
{
    private static readonly WorkingCalendar Calendar = WorkingCalendar.Default;

    [Theory]
    [InlineData(2024)]
    [InlineData(2025)]
    [InlineData(2026)]
    public void IsWorkingDay_EveryDayOfTheYear_AgreesWithTheReferenceCalendar(int year)
    {
        // The State Council notices as transcribed by holiday-cn (copied from ../shared/calendars, see Reference/README.md).
        var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Tools.RepoRoot, "tests", "Custody.Core.Tests", "Policy", "Reference", $"holiday-cn-{year}.json")));
        var exceptions = reference.RootElement.GetProperty("days").EnumerateArray()
            .ToDictionary(d => d.GetProperty("date").GetString()!, d => !d.GetProperty("isOffDay").GetBoolean());
        for (var day = new LocalDate(year, 1, 1); day.Year == year; day = day.PlusDays(1))
        {
            var expected = exceptions.TryGetValue(day.ToString("yyyy-MM-dd", null), out var working)
                ? working
                : day.DayOfWeek is not (IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday);
            Calendar.IsWorkingDay(day).Should().Be(expected, day.ToString());
        }
    }

    [Fact]
    public void LastDay_JiaozuoMatterEndingOnTuesday10February2026_Is30March()
    {
        // The example: counting the adjusted workdays 02-14 and 02-28, skipping the Spring Festival 02-15…02-23.
        Calendar.LastDay(new LocalDate(2026, 2, 10), 30, workingDays: true).Should().Be(new LocalDate(2026, 3, 30));
        Calendar.LastDay(new LocalDate(2026, 2, 10), 30, workingDays: false).Should().Be(new LocalDate(2026, 3, 12));
    }

    [Fact]
    public void Deadline_EndsAtMidnightInChinaOnTheLastDay()
    {
        var ended = Instant.FromUtc(2026, 2, 10, 3, 0); // 11:00 in Beijing
        Calendar.Deadline(ended, 30, workingDays: false).Should().Be(Instant.FromUtc(2026, 3, 12, 16, 0)); // 2026-03-13 00:00 +08:00
    }

    [Fact]
    public void LastDay_PeriodReachingIntoAYearWithoutANotice_CannotBeComputed()
    {
        // The test's own calendar: 2026 only, whatever notices the build comes to hold.
        var only2026 = WorkingCalendar.Empty.With(HolidayCalendar.ToYear(HolidayCalendar.Parse("holiday-cn-2026.json", Reference(2026), "https://example.org/2026")));
        only2026.LastDay(new LocalDate(2026, 2, 10), 30, workingDays: true).Should().Be(new LocalDate(2026, 3, 30));

        var act = () => only2026.LastDay(new LocalDate(2026, 12, 10), 30, workingDays: true);

        act.Should().Throw<CalendarMissingException>().WithMessage("cannot compute: calendar for 2027 missing");
    }

    [Theory]
    [InlineData(2024)]
    [InlineData(2025)]
    [InlineData(2026)]
    public void Parse_TheReferenceNotices_AgreeWithTheCompiledCalendarOnEveryDay(int year)
    {
        var imported = WorkingCalendar.Empty.With(HolidayCalendar.ToYear(HolidayCalendar.Parse($"holiday-cn-{year}.json", Reference(year), "https://example.org")));
        for (var day = new LocalDate(year, 1, 1); day.Year == year; day = day.PlusDays(1))
        {
            imported.IsWorkingDay(day).Should().Be(Calendar.IsWorkingDay(day), day.ToString());
        }
    }

    [Theory]
    // A year holiday-cn lists without days has no notice yet.
    [InlineData("""{"year": 2027, "papers": [], "days": []}""", "2027 lists no days")]
    // A weekday cannot be made a workday: 2026-10-08 is a Thursday.
    [InlineData("""{"year": 2026, "days": [{"name": "x", "date": "2026-10-08", "isOffDay": false}]}""", "2026-10-08 is a Thursday listed as an adjusted workday")]
    [InlineData("""{"year": 2026, "days": [{"name": "x", "date": "2027-01-01", "isOffDay": true}]}""", "2027-01-01 is not in 2026")]
    [InlineData("""{"year": 2026, "days": [{"name": "x", "date": "2026-01-01", "isOffDay": true}, {"name": "x", "date": "2026-01-01", "isOffDay": true}]}""", "2026-01-01 is listed twice")]
    [InlineData("""{"year": 2026, "days": [{"name": "x", "date": "2026-13-01", "isOffDay": true}]}""", "no valid \"date\"")]
    // National Day by law: a file without 1 to 3 October is not the whole notice.
    [InlineData("""{"year": 2026, "days": [{"name": "x", "date": "2026-01-01", "isOffDay": true}, {"name": "x", "date": "2026-05-01", "isOffDay": true}, {"name": "x", "date": "2026-05-02", "isOffDay": true}]}""", "2026-10-01 is a national holiday by law")]
    [InlineData("""{"days": []}""", "\"year\" must be a number")]
    [InlineData("not json", "not JSON")]
    public void Parse_AFileThatIsNotAWholeNotice_IsRefusedNamingTheFileAndTheDay(string json, string message)
    {
        var act = () => HolidayCalendar.Parse("notice.json", json, "https://example.org");

        act.Should().Throw<VaultException>().Which.Message.Should().StartWith("notice.json: ").And.Contain(message);
    }

    private static string Reference(int year) =>
        File.ReadAllText(Path.Combine(Tools.RepoRoot, "tests", "Custody.Core.Tests", "Policy", "Reference", $"holiday-cn-{year}.json"));
}
