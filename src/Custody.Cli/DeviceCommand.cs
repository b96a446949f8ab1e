using MediatR;
using System.Text.Json;
using EvidenceVault.Custody.Deadlines;
using EvidenceVault.Custody.Devices;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Policy;
using Microsoft.Extensions.DependencyInjection;

namespace EvidenceVault.Custody.Cli;

/// <summary>
/// <c>custody device register|assign|fault|repair|retire|list</c>: the camera register (R15, 台账).
/// Every change is a ledger entry; <c>list</c> replays them and joins the deadline monitor's "not docked" finding.
/// </summary>
internal static class DeviceCommand
{
    public static async Task<int> RunAsync(string sub, Arguments arguments)
    {
        using var vault = Output.OpenVault(arguments);
        if (sub == "list")
        {
            return List(vault, arguments);
        }

        using var services = new ServiceCollection().AddCustody(vault).BuildServiceProvider();
        var sender = services.GetRequiredService<IMediator>();
        var serial = arguments.Required("serial");
        var by = arguments.Required("by");
        var reason = arguments.Value("reason") ?? string.Empty;
        long index = sub switch
        {
            "register" => await sender.Send(new RegisterDevice(serial, arguments.Required("model"), arguments.Required("unit"), arguments.Required("administrator"), by, reason)),
            "assign" => await sender.Send(new AssignDevice(serial, arguments.Required("officer"), by, reason)),
            "fault" => await sender.Send(new ReportDeviceFault(serial, arguments.Required("fault"), by)),
            "repair" => await sender.Send(new RepairDevice(serial, arguments.Required("record"), arguments.Has("started"), by)),
            "retire" => await sender.Send(new RetireDevice(serial, by, reason)),
            _ => throw new UsageException("device needs a verb: register, assign, fault, repair, retire, list."),
        };
        var device = DeviceRegister.Find(vault, serial)!;
        Console.WriteLine($"ledger entry {index}: {serial} is {device.Status}" + (device.OpenFaults.Count > 0 ? $" ({device.OpenFaults.Count} open faults)" : string.Empty));
        return 0;
    }

    private static int List(Vault vault, Arguments arguments)
    {
        var at = arguments.Value("at") is { } text ? DeadlinesCommand.Time(text) : vault.Clock.GetCurrentInstant();
        var devices = DeviceRegister.List(vault);
        // R15's "not docked" finding, from the monitor as of --at; a registered camera that never docked
        // is due from its registration (the monitor only knows cameras that docked).
        var profile = vault.Policy.ActiveProfileId() is not null ? vault.Policy.ActiveProfile() : null;
        var findings = profile is null ? [] : DeadlineMonitor.AsOf(vault, at, WorkingCalendar.Default).Findings.Where(f => f.Rule == "R15" && f.DeviceSerial is not null).ToDictionary(f => f.DeviceSerial!, StringComparer.Ordinal);
        var rows = devices.Select(d =>
        {
            string? notDocked = null;
            if (findings.TryGetValue(d.Serial, out var finding))
            {
                notDocked = $"{finding.Message} [{finding.Article}]";
            }
            else if (profile is not null && d.LastDocked is null && d.Status != DeviceStatuses.Retired && at > d.Registered + NodaTime.Duration.FromHours(profile.Devices.MaxHoursBetweenDocks))
            {
                notDocked = $"registered {Output.Utc(d.Registered)} and never docked [{profile.Devices.Cite}]";
            }

            return (Device: d, NotDocked: notDocked);
        }).ToList();
        if (arguments.Has("json"))
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                at = Output.Utc(at),
                devices = rows.Select(r => new
                {
                    serial = r.Device.Serial,
                    model = r.Device.Model,
                    unit = r.Device.Unit,
                    administrator = r.Device.Administrator,
                    officer = r.Device.Officer,
                    status = r.Device.Status,
                    openFaults = r.Device.OpenFaults.Select(f => new { ledgerEntry = f.Entry, fault = f.Fault, reportedAt = Output.Utc(f.ReportedAt), reportedBy = f.ReportedBy }),
                    faults = r.Device.Faults,
                    repairs = r.Device.Repairs,
                    docks = r.Device.Docks,
                    clips = r.Device.Clips,
                    registeredAt = Output.Utc(r.Device.Registered),
                    lastDockedAt = r.Device.LastDocked is { } last ? Output.Utc(last) : null,
                    notDocked = r.NotDocked,
                }),
            }, Output.Json));
            return 0;
        }

        Console.WriteLine($"{rows.Count} cameras on the register as of {Output.Utc(at)} (R15)");
        foreach (var (d, notDocked) in rows)
        {
            Console.WriteLine(Output.Printable($"{d.Serial,-12} {d.Status,-12} {d.Model}  unit {d.Unit}  admin {d.Administrator}  officer {d.Officer ?? "-"}  {d.Clips} clips, last docked {(d.LastDocked is { } last ? Output.Utc(last) : "never")}"));
            foreach (var fault in d.OpenFaults)
            {
                Console.WriteLine(Output.Printable($"    open fault (entry {fault.Entry}, {Output.Utc(fault.ReportedAt)}, {fault.ReportedBy}): {fault.Fault}"));
            }

            if (notDocked is not null)
            {
                Console.WriteLine(Output.Printable($"    NOT DOCKED: {notDocked}"));
            }
        }

        return 0;
    }
}
