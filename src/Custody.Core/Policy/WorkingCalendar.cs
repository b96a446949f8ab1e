using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Policy;

/// <summary>
/// China's working days: weekends are off unless listed as adjusted workdays (调休), weekdays are
/// working days unless listed as holidays, per the State Council's notice for each year (data in
/// Policy/Calendars). A year without a notice cannot be computed, and is never guessed.
/// Periods start the day after the event and end at 24:00 Asia/Shanghai on their last day.
/// </summary>
public sealed class WorkingCalendar
{
    public static DateTimeZone China { get; } = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];

    private readonly Dictionary<int, (HashSet<LocalDate> Holidays, HashSet<LocalDate> Workdays)?> _years = [];

    public static WorkingCalendar Default { get; } = Load();

    public static WorkingCalendar Load()
    {
        var calendar = new WorkingCalendar();
        var assembly = typeof(WorkingCalendar).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("calendars/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var year = JsonSerializer.Deserialize<CalendarYear>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            calendar._years[year.Year] = year.NoticePublished
                ? (year.Holidays.Select(Parse).ToHashSet(), year.AdjustedWorkdays.Select(Parse).ToHashSet())
                : null;
        }

        return calendar;
    }

    public bool IsWorkingDay(LocalDate date)
    {
        if (!_years.TryGetValue(date.Year, out var year) || year is not { } days)
        {
            throw new CalendarMissingException(date.Year);
        }

        if (days.Holidays.Contains(date))
        {
            return false;
        }

        return days.Workdays.Contains(date) || date.DayOfWeek is not (IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday);
    }

    /// <summary>The last day of a period of <paramref name="days"/> starting the day after <paramref name="eventDay"/>.</summary>
    public LocalDate LastDay(LocalDate eventDay, int days, bool workingDays)
    {
        if (!workingDays)
        {
            return eventDay.PlusDays(days);
        }

        var day = eventDay;
        for (var counted = 0; counted < days;)
        {
            day = day.PlusDays(1);
            if (IsWorkingDay(day))
            {
                counted++;
            }
        }

        return day;
    }

    /// <summary>The instant a period ends: 24:00 in China on its last day.</summary>
    public Instant Deadline(Instant eventTime, int days, bool workingDays) =>
        LastDay(eventTime.InZone(China).Date, days, workingDays).PlusDays(1).AtStartOfDayInZone(China).ToInstant();

    private static LocalDate Parse(string text) => LocalDatePattern.Iso.Parse(text).Value;

    private sealed record CalendarYear(int Year, bool NoticePublished, IReadOnlyList<string> Holidays, IReadOnlyList<string> AdjustedWorkdays);
}

/// <summary>A deadline falls in a year without a holiday notice: "cannot compute: calendar for YYYY missing".</summary>
public sealed class CalendarMissingException(int year) : Exception($"cannot compute: calendar for {year} missing")
{
    public int Year { get; } = year;
}
