using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Policy;

/// <summary>
/// One year of the State Council's holiday notice: the days off that would otherwise be working
/// days (or weekend days inside a holiday) and the adjusted workdays (调休, weekend days worked).
/// <paramref name="Source"/> says where the notice came from: the compiled-in data or an import's URL.
/// </summary>
public sealed record CalendarYear(int Year, IReadOnlySet<LocalDate> Holidays, IReadOnlySet<LocalDate> AdjustedWorkdays, string Source);

/// <summary>
/// China's working days: weekends are off unless listed as adjusted workdays (调休), weekdays are
/// working days unless listed as holidays, per the State Council's notice for each year (data in
/// Policy/Calendars, and years imported into a vault with <c>custody calendar import</c>). A year
/// without a notice cannot be computed, and is never guessed.
/// Periods start the day after the event and end at 24:00 Asia/Shanghai on their last day.
/// Immutable: <see cref="With"/> gives a new calendar.
/// </summary>
public sealed class WorkingCalendar
{
    public static DateTimeZone China { get; } = DateTimeZoneProviders.Tzdb["Asia/Shanghai"];

    // A year present with null: known to have no notice yet (compiled in as such).
    private readonly Dictionary<int, CalendarYear?> _years;

    private WorkingCalendar(Dictionary<int, CalendarYear?> years) => _years = years;

    /// <summary>The notices compiled into this build.</summary>
    public static WorkingCalendar Default { get; } = Load();

    /// <summary>A calendar that knows no year: the start of a test's own fixture.</summary>
    public static WorkingCalendar Empty { get; } = new([]);

    /// <summary>Every year this calendar has an entry for, with its notice (null: no notice published yet).</summary>
    public IReadOnlyDictionary<int, CalendarYear?> Years => _years;

    public static WorkingCalendar Load()
    {
        var years = new Dictionary<int, CalendarYear?>();
        var assembly = typeof(WorkingCalendar).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("calendars/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            var year = JsonSerializer.Deserialize<CompiledYear>(stream, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
            years[year.Year] = year.NoticePublished
                ? new CalendarYear(year.Year, year.Holidays.Select(Parse).ToHashSet(), year.AdjustedWorkdays.Select(Parse).ToHashSet(), year.Notice ?? "compiled in")
                : null;
        }

        return new WorkingCalendar(years);
    }

    /// <summary>This calendar with <paramref name="year"/> added, or replacing the year it had.</summary>
    public WorkingCalendar With(CalendarYear year) => new(new Dictionary<int, CalendarYear?>(_years) { [year.Year] = year });

    public bool IsWorkingDay(LocalDate date)
    {
        if (!_years.TryGetValue(date.Year, out var year) || year is null)
        {
            throw new CalendarMissingException(date.Year);
        }

        if (year.Holidays.Contains(date))
        {
            return false;
        }

        return year.AdjustedWorkdays.Contains(date) || date.DayOfWeek is not (IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday);
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

    internal static LocalDate Parse(string text) => LocalDatePattern.Iso.Parse(text).Value;

    private sealed record CompiledYear(int Year, bool NoticePublished, string? Notice, IReadOnlyList<string> Holidays, IReadOnlyList<string> AdjustedWorkdays);
}

/// <summary>A deadline falls in a year without a holiday notice: "cannot compute: calendar for YYYY missing".</summary>
public sealed class CalendarMissingException(int year) : Exception($"cannot compute: calendar for {year} missing")
{
    public int Year { get; } = year;
}
