using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Devices;

// R15 (001 §22, §24; 002 §16; 004 §31): a register (台账) of the cameras, each with a responsible
// administrator; faults are reported and never "self-repaired": a fault is closed only by a repair
// record. Every change is a ledger entry about device:SERIAL; the register is a replay of them.

/// <summary>Put a camera on the register: serial, model, unit and the administrator responsible for it.</summary>
public sealed record RegisterDevice(string Serial, string Model, string Unit, string Administrator, string By, string Reason) : IRequest<long>;

/// <summary>Hand a registered camera to an officer (警号).</summary>
public sealed record AssignDevice(string Serial, string Officer, string By, string Reason) : IRequest<long>;

/// <summary>Report a fault: the camera is faulty until a repair record closes the fault.</summary>
public sealed record ReportDeviceFault(string Serial, string Fault, string By) : IRequest<long>;

/// <summary>A repair record: <paramref name="Started"/> sends it for repair (under repair); otherwise the repair is done and closes every open fault.</summary>
public sealed record RepairDevice(string Serial, string Record, bool Started, string By) : IRequest<long>;

/// <summary>Take a camera out of service for good.</summary>
public sealed record RetireDevice(string Serial, string By, string Reason) : IRequest<long>;

public sealed record DeviceRegisteredPayload(string Serial, string Model, string Unit, string Administrator);

public sealed record DeviceAssignedPayload(string Serial, string Officer);

public sealed record DeviceFaultReportedPayload(string Serial, string Fault);

/// <param name="Closes">The fault entries a completed repair closes (none when it only started).</param>
public sealed record DeviceRepairedPayload(string Serial, string Record, bool Completed, IReadOnlyList<long> Closes);

public sealed record DeviceRetiredPayload(string Serial);

public static class DeviceStatuses
{
    public const string InService = "in-service";
    public const string Faulty = "faulty";
    public const string UnderRepair = "under-repair";
    public const string Retired = "retired";
}

/// <summary>An open fault: the entry that reported it.</summary>
public sealed record DeviceFault(long Entry, string Fault, Instant ReportedAt, string ReportedBy);

/// <summary>One camera as the register holds it, replayed from its entries.</summary>
public sealed record DeviceRecord(
    string Serial,
    string Model,
    string Unit,
    string Administrator,
    string? Officer,
    string Status,
    IReadOnlyList<DeviceFault> OpenFaults,
    int Faults,
    int Repairs,
    int Docks,
    int Clips,
    Instant Registered,
    Instant? LastDocked);

public sealed class RegisterDeviceValidator : AbstractValidator<RegisterDevice>
{
    public RegisterDeviceValidator()
    {
        RuleFor(c => c.Serial).NotEmpty().MaximumLength(64).Must(s => s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
            .WithMessage("A serial is ASCII letters, digits, '-' or '_'.");
        RuleFor(c => c.Model).NotEmpty().MaximumLength(128);
        RuleFor(c => c.Unit).NotEmpty().MaximumLength(128);
        RuleFor(c => c.Administrator).NotEmpty().MaximumLength(64).WithMessage("R15: a registered camera has a responsible administrator (--administrator).");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Registering a camera says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class AssignDeviceValidator : AbstractValidator<AssignDevice>
{
    public AssignDeviceValidator()
    {
        RuleFor(c => c.Serial).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Officer).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Reason).NotEmpty().WithMessage("An assignment says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class ReportDeviceFaultValidator : AbstractValidator<ReportDeviceFault>
{
    public ReportDeviceFaultValidator()
    {
        RuleFor(c => c.Serial).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Fault).NotEmpty().MaximumLength(2000).WithMessage("A fault report says what is wrong (--fault).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RepairDeviceValidator : AbstractValidator<RepairDevice>
{
    public RepairDeviceValidator()
    {
        RuleFor(c => c.Serial).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Record).NotEmpty().MaximumLength(2000).WithMessage("A repair record says what was done and by whom (--record).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RetireDeviceValidator : AbstractValidator<RetireDevice>
{
    public RetireDeviceValidator()
    {
        RuleFor(c => c.Serial).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Retiring a camera says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class DeviceHandlers(Vault vault) :
    IRequestHandler<RegisterDevice, long>,
    IRequestHandler<AssignDevice, long>,
    IRequestHandler<ReportDeviceFault, long>,
    IRequestHandler<RepairDevice, long>,
    IRequestHandler<RetireDevice, long>
{
    public Task<long> Handle(RegisterDevice request, CancellationToken cancellationToken)
    {
        if (DeviceRegister.Find(vault, request.Serial) is { } existing)
        {
            throw new VaultException($"Camera {request.Serial} is already on the register ({existing.Status}, since {InstantPattern.ExtendedIso.Format(existing.Registered)}); a serial is registered once.");
        }

        return vault.RecordActAsync(EntryTypes.DeviceRegistered, request.By, [Subjects.Device(request.Serial)], request.Reason,
            new DeviceRegisteredPayload(request.Serial, request.Model, request.Unit, request.Administrator), cancellationToken);
    }

    public Task<long> Handle(AssignDevice request, CancellationToken cancellationToken)
    {
        InService(request.Serial);
        return vault.RecordActAsync(EntryTypes.DeviceAssigned, request.By, [Subjects.Device(request.Serial)], request.Reason,
            new DeviceAssignedPayload(request.Serial, request.Officer), cancellationToken);
    }

    public Task<long> Handle(ReportDeviceFault request, CancellationToken cancellationToken)
    {
        InService(request.Serial);
        return vault.RecordActAsync(EntryTypes.DeviceFaultReported, request.By, [Subjects.Device(request.Serial)], "R15: fault reported (001 §24, 004 §31)",
            new DeviceFaultReportedPayload(request.Serial, request.Fault), cancellationToken);
    }

    public Task<long> Handle(RepairDevice request, CancellationToken cancellationToken)
    {
        var device = InService(request.Serial);
        if (device.OpenFaults.Count == 0)
        {
            throw new VaultException($"Camera {request.Serial} has no open fault: a repair record closes a reported fault (custody device fault first).");
        }

        var closes = request.Started ? [] : device.OpenFaults.Select(f => f.Entry).ToList();
        return vault.RecordActAsync(EntryTypes.DeviceRepaired, request.By, [Subjects.Device(request.Serial)],
            request.Started ? "R15: sent for repair" : "R15: repaired; closes the open faults",
            new DeviceRepairedPayload(request.Serial, request.Record, !request.Started, closes), cancellationToken);
    }

    public Task<long> Handle(RetireDevice request, CancellationToken cancellationToken)
    {
        InService(request.Serial);
        return vault.RecordActAsync(EntryTypes.DeviceRetired, request.By, [Subjects.Device(request.Serial)], request.Reason,
            new DeviceRetiredPayload(request.Serial), cancellationToken);
    }

    private DeviceRecord InService(string serial)
    {
        var device = DeviceRegister.Find(vault, serial) ?? throw new VaultException($"Camera {serial} is not on the register (custody device register).");
        return device.Status == DeviceStatuses.Retired ? throw new VaultException($"Camera {serial} is retired.") : device;
    }
}

/// <summary>The register, replayed from each camera's entries in the ledger (no derived table to trust).</summary>
public static class DeviceRegister
{
    public static IReadOnlyList<DeviceRecord> List(Vault vault) =>
        [.. vault.Ledger.EntriesOfType(EntryTypes.DeviceRegistered)
            .Select(e => PayloadJson.Deserialize<DeviceRegisteredPayload>(e.Payload).Serial)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(serial => Find(vault, serial)!)];

    public static DeviceRecord? Find(Vault vault, string serial)
    {
        DeviceRecord? device = null;
        var open = new List<DeviceFault>();
        int faults = 0, repairs = 0, docks = 0, clips = 0;
        Instant? lastDocked = null;
        foreach (var entry in vault.Ledger.Entries(Subjects.Device(serial)))
        {
            switch (entry.Type)
            {
                case EntryTypes.DeviceRegistered when device is null:
                    var registered = PayloadJson.Deserialize<DeviceRegisteredPayload>(entry.Payload);
                    device = new DeviceRecord(serial, registered.Model, registered.Unit, registered.Administrator, null, DeviceStatuses.InService, [], 0, 0, 0, 0, entry.Time, null);
                    break;
                case EntryTypes.DeviceAssigned when device is not null:
                    device = device with { Officer = PayloadJson.Deserialize<DeviceAssignedPayload>(entry.Payload).Officer };
                    break;
                case EntryTypes.DeviceFaultReported when device is not null:
                    faults++;
                    open.Add(new DeviceFault(entry.Index, PayloadJson.Deserialize<DeviceFaultReportedPayload>(entry.Payload).Fault, entry.Time, entry.Actor));
                    device = device with { Status = device.Status == DeviceStatuses.UnderRepair ? DeviceStatuses.UnderRepair : DeviceStatuses.Faulty };
                    break;
                case EntryTypes.DeviceRepaired when device is not null:
                    var repair = PayloadJson.Deserialize<DeviceRepairedPayload>(entry.Payload);
                    repairs++;
                    open.RemoveAll(f => repair.Closes.Contains(f.Entry));
                    device = device with { Status = !repair.Completed ? DeviceStatuses.UnderRepair : open.Count > 0 ? DeviceStatuses.Faulty : DeviceStatuses.InService };
                    break;
                case EntryTypes.DeviceRetired when device is not null:
                    device = device with { Status = DeviceStatuses.Retired };
                    break;
                case EntryTypes.DockSessionOpened:
                    docks++;
                    lastDocked = entry.Time;
                    break;
                case EntryTypes.ClipIngested:
                    clips++;
                    lastDocked = lastDocked is { } seen && seen > entry.Time ? seen : entry.Time;
                    break;
            }
        }

        return device is null ? null : device with { OpenFaults = open, Faults = faults, Repairs = repairs, Docks = docks, Clips = clips, LastDocked = lastDocked };
    }
}
