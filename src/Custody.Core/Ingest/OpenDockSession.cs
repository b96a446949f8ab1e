using MediatR;
using EvidenceVault.Custody.Ledger;
using FluentValidation;

namespace EvidenceVault.Custody.Ingest;

/// <summary>
/// A camera was docked at a station (networked mode): which device, whose, and how far its clock was
/// off before the dock synced it. Ledgered as a custody fact about the device (R15: last dock).
/// </summary>
public sealed record OpenDockSession(string Station, string DeviceSerial, string? OfficerId, double? ClockOffsetSeconds) : IRequest<DockSession>;

public sealed record DockSession(string SessionId, long LedgerIndex);

public sealed record DockSessionOpenedPayload(string SessionId, string Station, string DeviceSerial, string? OfficerId, double? ClockOffsetSeconds);

public sealed class OpenDockSessionValidator : AbstractValidator<OpenDockSession>
{
    public OpenDockSessionValidator()
    {
        RuleFor(c => c.Station).NotEmpty();
        RuleFor(c => c.DeviceSerial).NotEmpty().MaximumLength(64);
        RuleFor(c => c.OfficerId).MaximumLength(64);
    }
}

internal sealed class OpenDockSessionHandler(Vault vault) : IRequestHandler<OpenDockSession, DockSession>
{
    public async Task<DockSession> Handle(OpenDockSession request, CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid().ToString("D");
        var entries = await vault.RecordAsync([new NewEntry(EntryTypes.DockSessionOpened, "station:" + request.Station, [Subjects.Device(request.DeviceSerial)], "camera docked",
            PayloadJson.Serialize(new DockSessionOpenedPayload(id, request.Station, request.DeviceSerial, request.OfficerId, request.ClockOffsetSeconds)))], cancellationToken).ConfigureAwait(false);
        return new DockSession(id, entries[0].Index);
    }
}
