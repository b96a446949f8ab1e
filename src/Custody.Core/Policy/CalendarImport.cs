using MediatR;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Policy;

/// <summary>
/// R2: import one year of the State Council's holiday notice, in the holiday-cn JSON format
/// (<c>{"year": Y, "papers": [URL...], "days": [{"name", "date", "isOffDay"}...]}</c>), as a
/// ledgered fact, so that an agency can add a year when its notice is published without a new build.
/// <paramref name="FileName"/> is named in every error about the file.
/// </summary>
public sealed record ImportCalendar(string FileName, string Json, string Source, string Reason, string By) : IRequest<long>;

/// <summary>What a CalendarImported entry holds: the year's exceptions, normalised (ISO dates, ascending).</summary>
/// <param name="FileSha256">SHA-256 of the imported file as given, so the exact file can be matched later.</param>
public sealed record CalendarImportedPayload(int Year, string Source, string FileSha256, IReadOnlyList<string> Holidays, IReadOnlyList<string> AdjustedWorkdays, IReadOnlyList<string> Papers);

/// <summary>Reads and checks holiday-cn files, and the calendar a vault's ledger makes of its imports.</summary>
public static class HolidayCalendar
{
    /// <summary>
    /// Parses one holiday-cn year and checks that it is a whole notice: every listed day is a real
    /// date of that year and listed once; an adjusted workday (isOffDay false) is a Saturday or a
    /// Sunday (a weekday "made a workday" means the file is misread); and the days the national
    /// holiday rules fix by the solar calendar are off — 1 January, 1 May (and 2 May from 2025),
    /// 1 to 3 October (全国年节及纪念日放假办法 Art. 2). Every other day of the year is then accounted
    /// for by the weekday rule. A file with no days is a year without a notice and is refused.
    /// </summary>
    /// <exception cref="VaultException">Naming the file, the day and the rule it broke.</exception>
    public static CalendarImportedPayload Parse(string fileName, string json, string source)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new VaultException($"{fileName}: not JSON ({e.Message}).");
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("year", out var yearElement) || !yearElement.TryGetInt32(out var year) || year is < 1949 or > 2199)
        {
            throw new VaultException($"{fileName}: \"year\" must be a number such as 2027 (holiday-cn format).");
        }

        if (!root.TryGetProperty("days", out var days) || days.ValueKind != JsonValueKind.Array)
        {
            throw new VaultException($"{fileName}: \"days\" must be a list of {{\"name\", \"date\", \"isOffDay\"}} (holiday-cn format).");
        }

        if (days.GetArrayLength() == 0)
        {
            throw new VaultException($"{fileName}: {year} lists no days: holiday-cn writes that for a year whose notice is not published yet; nothing to import.");
        }

        var holidays = new SortedSet<LocalDate>();
        var workdays = new SortedSet<LocalDate>();
        foreach (var day in days.EnumerateArray())
        {
            var text = day.ValueKind == JsonValueKind.Object && day.TryGetProperty("date", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : null;
            var parsed = text is null ? null : LocalDatePattern.Iso.Parse(text) is { Success: true } p ? p.Value : (LocalDate?)null;
            if (parsed is not { } date)
            {
                throw new VaultException($"{fileName}: a day has no valid \"date\" (yyyy-MM-dd): {day.GetRawText()}.");
            }

            if (date.Year != year)
            {
                throw new VaultException($"{fileName}: {text} is not in {year}.");
            }

            if (!day.TryGetProperty("isOffDay", out var off) || off.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new VaultException($"{fileName}: {text} has no \"isOffDay\" true or false.");
            }

            if (holidays.Contains(date) || workdays.Contains(date))
            {
                throw new VaultException($"{fileName}: {text} is listed twice.");
            }

            if (off.GetBoolean())
            {
                holidays.Add(date);
            }
            else if (date.DayOfWeek is IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday)
            {
                workdays.Add(date);
            }
            else
            {
                throw new VaultException($"{fileName}: {text} is a {date.DayOfWeek} listed as an adjusted workday (isOffDay false): only a weekend day can be made a workday (调休).");
            }
        }

        foreach (var (month, dayOfMonth) in StatutoryDaysOff(year))
        {
            var date = new LocalDate(year, month, dayOfMonth);
            if (!holidays.Contains(date))
            {
                throw new VaultException($"{fileName}: {LocalDatePattern.Iso.Format(date)} is a national holiday by law (全国年节及纪念日放假办法 Art. 2) but is not listed as a day off: the file does not hold the whole notice.");
            }
        }

        var papers = root.TryGetProperty("papers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];
        return new CalendarImportedPayload(year, source, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))),
            [.. holidays.Select(LocalDatePattern.Iso.Format)], [.. workdays.Select(LocalDatePattern.Iso.Format)], papers);
    }

    /// <summary><paramref name="calendar"/> with every year in <paramref name="imports"/> (CalendarImported entries) (a later import of a year replaces an earlier one).</summary>
    public static WorkingCalendar WithImports(WorkingCalendar calendar, IEnumerable<LedgerEntry> imports)
    {
        foreach (var entry in imports.Where(e => e.Type == EntryTypes.CalendarImported).OrderBy(e => e.Index))
        {
            calendar = calendar.With(ToYear(PayloadJson.Deserialize<CalendarImportedPayload>(entry.Payload), $"{{0}} (ledger entry {entry.Index})"));
        }

        return calendar;
    }

    /// <summary>The calendar year an import describes.</summary>
    public static CalendarYear ToYear(CalendarImportedPayload payload, string sourceFormat = "{0}") => new(
        payload.Year,
        payload.Holidays.Select(WorkingCalendar.Parse).ToHashSet(),
        payload.AdjustedWorkdays.Select(WorkingCalendar.Parse).ToHashSet(),
        string.Format(System.Globalization.CultureInfo.InvariantCulture, sourceFormat, payload.Source));

    // 全国年节及纪念日放假办法 (2024 revision, in force 2025-01-01) Art. 2: New Year's Day 1 day, Labour Day 2 days
    // (1 day before 2025), National Day 3 days; the lunar festivals move and are not checked here.
    private static IEnumerable<(int Month, int Day)> StatutoryDaysOff(int year)
    {
        yield return (1, 1);
        yield return (5, 1);
        if (year >= 2025)
        {
            yield return (5, 2);
        }

        yield return (10, 1);
        yield return (10, 2);
        yield return (10, 3);
    }
}

public sealed class ImportCalendarValidator : AbstractValidator<ImportCalendar>
{
    public ImportCalendarValidator()
    {
        RuleFor(c => c.Source).Must(s => Uri.TryCreate(s, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
            .WithMessage("--source is the URL of the State Council notice (or of the holiday-cn file) the calendar comes from.");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Importing a calendar needs a reason (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class ImportCalendarHandler(Vault vault) : IRequestHandler<ImportCalendar, long>
{
    public Task<long> Handle(ImportCalendar request, CancellationToken cancellationToken)
    {
        var payload = HolidayCalendar.Parse(request.FileName, request.Json, request.Source);
        return vault.RecordActAsync(EntryTypes.CalendarImported, request.By, [Subjects.Calendars, "calendar:" + payload.Year.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            request.Reason, payload, cancellationToken);
    }
}
