using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Policy;
using Microsoft.Extensions.DependencyInjection;
using NodaTime.Text;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody calendar import</c> (R2: a year of the State Council's holiday notice, holiday-cn JSON,
/// as a ledgered fact) and <c>custody calendar show</c> (every year the deadline monitor can count working days in).
/// </summary>
internal static class CalendarCommand
{
    public static async Task<int> RunAsync(string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        switch (sub)
        {
            case "import":
                var file = arguments.Required("file");
                string json;
                try
                {
                    json = await File.ReadAllTextAsync(file).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new VaultException($"{file}: cannot be read ({e.Message}).", e);
                }

                using (var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider())
                {
                    var index = await services.GetRequiredService<IMediator>().Send(new ImportCalendar(file, json, arguments.Value("source") ?? string.Empty,
                        arguments.Value("reason") ?? string.Empty, arguments.Required("by"))).ConfigureAwait(false);
                    var year = PayloadJson.Deserialize<CalendarImportedPayload>(vault.Ledger.Read(index).Payload);
                    Console.WriteLine(arguments.Has("json")
                        ? JsonSerializer.Serialize(new { ledgerIndex = index, year = year.Year, holidays = year.Holidays.Count, adjustedWorkdays = year.AdjustedWorkdays.Count, fileSha256 = year.FileSha256 }, Output.JsonLine)
                        : $"calendar {year.Year} imported: {year.Holidays.Count} days off, {year.AdjustedWorkdays.Count} adjusted workdays; ledger entry {index}");
                }

                return 0;
            case "show":
                var calendar = HolidayCalendar.WithImports(WorkingCalendar.Default, vault.Ledger.Entries(Subjects.Calendars));
                foreach (var (number, year) in calendar.Years.OrderBy(y => y.Key))
                {
                    Console.WriteLine(arguments.Has("json")
                        ? JsonSerializer.Serialize(new
                        {
                            year = number,
                            noticePublished = year is not null,
                            source = year?.Source,
                            holidays = year?.Holidays.Order().Select(LocalDatePattern.Iso.Format),
                            adjustedWorkdays = year?.AdjustedWorkdays.Order().Select(LocalDatePattern.Iso.Format),
                        }, Output.JsonLine)
                        : year is null
                            ? $"{number}  no notice: working-day deadlines in {number} cannot be computed (custody calendar import)"
                            : $"{number}  {year.Holidays.Count,3} days off  {year.AdjustedWorkdays.Count,2} adjusted workdays  {Output.Printable(year.Source)}");
                }

                return 0;
            default:
                throw new UsageException($"Unknown command 'calendar {sub}'.");
        }
    }
}
