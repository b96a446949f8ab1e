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
        var act = () => Calendar.LastDay(new LocalDate(2026, 12, 10), 30, workingDays: true);
        act.Should().Throw<CalendarMissingException>().WithMessage("cannot compute: calendar for 2027 missing");
    }
}
