using EvidenceVault.Custody.Ledger;
using FluentValidation;
using EvidenceVault.Custody.Commands;

namespace EvidenceVault.Custody.Ingest;

/// <summary>
/// Put one original into verified custody: stream it from <paramref name="Source"/> into the object
/// store (hashing as it goes, so the camera is read once), confirm the stored copy, then append one
/// <c>ClipIngested</c> entry. Nothing is ledgered unless the object is stored whole (R1, R5).
/// </summary>
/// <param name="Source">The bytes as they come off the camera; read once, front to back.</param>
/// <param name="FileName">The name on the camera, relative to the volume: untrusted, recorded verbatim, never used as a path.</param>
public sealed record IngestClip(
    Stream Source,
    string FileName,
    string? DeviceSerial,
    string? OfficerId,
    string? UnitId,
    IReadOnlyList<string> Flags) : IRequest<ClipIngestResult>;

/// <param name="Sha256">The object key.</param>
/// <param name="AlreadyStored">The same bytes were in custody before (another name or another dock).</param>
/// <param name="LedgerIndex">The custody entry written for this clip.</param>
public sealed record ClipIngestResult(Sha256Digest Sha256, long Size, bool AlreadyStored, long LedgerIndex);

public sealed class IngestClipValidator : AbstractValidator<IngestClip>
{
    public IngestClipValidator()
    {
        RuleFor(c => c.Source).NotNull();
        RuleFor(c => c.FileName).NotEmpty().MaximumLength(4096);
        RuleFor(c => c.DeviceSerial).MaximumLength(64);
        RuleFor(c => c.OfficerId).MaximumLength(64);
    }
}

internal sealed class IngestClipHandler(Vault vault) : IRequestHandler<IngestClip, ClipIngestResult>
{
    public async Task<ClipIngestResult> Handle(IngestClip request, CancellationToken cancellationToken)
    {
        var stored = await vault.Objects.PutAsync(request.Source, cancellationToken).ConfigureAwait(false);

        // The stored copy is checked before the ledger calls it in custody.
        var size = await vault.Objects.SizeAsync(stored.Key, cancellationToken).ConfigureAwait(false);
        if (size != stored.Size)
        {
            throw new VaultException($"{request.FileName}: the stored object {stored.Key} holds {size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}, expected {stored.Size} bytes; not in custody.");
        }

        var payload = new ClipIngestedPayload
        {
            Sha256 = stored.Key.ToHex(),
            Size = stored.Size,
            FileName = request.FileName,
            DeviceSerial = request.DeviceSerial,
            OfficerId = request.OfficerId,
            UnitId = request.UnitId,
            Station = vault.Station,
            Flags = request.Flags,
        };
        List<string> subjects = [Subjects.Clip(stored.Key)];
        if (request.DeviceSerial is { } serial)
        {
            subjects.Add(Subjects.Device(serial));
        }

        var actor = request.DeviceSerial is { } device ? "device:" + device : "station:" + vault.Station;
        var entries = await vault.RecordAsync(
            [new NewEntry(EntryTypes.ClipIngested, actor, subjects, "docked: R1 upload within 24 h (000 §19, 001 §21, 002 §13, 003 §32)", PayloadJson.Serialize(payload))],
            cancellationToken).ConfigureAwait(false);
        return new ClipIngestResult(stored.Key, stored.Size, stored.AlreadyStored, entries[0].Index);
    }
}
