using EvidenceVault.Custody.Ledger;
using FluentValidation;
using EvidenceVault.Custody.Commands;
using EvidenceVault.Custody.Hosting;

namespace EvidenceVault.Custody.Ingest;

/// <summary>
/// Put one original into verified custody: stream it from <paramref name="Source"/> into the object
/// store (hashing as it goes, so the camera is read once), confirm the stored copy, then append one
/// <c>ClipIngested</c> entry. Nothing is ledgered unless the object is stored whole (R1, R5).
/// </summary>
/// <param name="Source">The bytes as they come off the camera; read once, front to back.</param>
public sealed record IngestClip(Stream Source, ClipFacts Facts) : IRequest<ClipIngestResult>;

/// <param name="Sha256">The object key.</param>
/// <param name="AlreadyStored">The same bytes were in custody before (another name or another dock).</param>
/// <param name="LedgerIndex">The custody entry written for this clip.</param>
/// <param name="Flags">The flags recorded with it, including any the vault added.</param>
public sealed record ClipIngestResult(Sha256Digest Sha256, long Size, bool AlreadyStored, long LedgerIndex, IReadOnlyList<string> Flags);

public sealed class IngestClipValidator : AbstractValidator<IngestClip>
{
    public IngestClipValidator()
    {
        RuleFor(c => c.Source).NotNull();
        RuleFor(c => c.Facts.FileName).NotEmpty().MaximumLength(4096);
        RuleFor(c => c.Facts.DeviceSerial).MaximumLength(64);
        RuleFor(c => c.Facts.OfficerId).MaximumLength(64);
        RuleFor(c => c.Facts.TimeZone)
            .Must(zone => zone is null || NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null)
            .WithMessage("'{PropertyValue}' is not a TZDB time zone.");
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
            throw new VaultException($"{request.Facts.FileName}: the stored object {stored.Key} holds {size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"}, expected {stored.Size} bytes; not in custody.");
        }

        var facts = request.Facts;
        if (facts.SizeOnCamera is { } listed && listed != stored.Size && !facts.Flags.Contains(ClipFlags.ChangedWhileRead))
        {
            // The camera was still writing, or the file was altered while docked: keep what was read, and say so.
            facts = facts with { Flags = [.. facts.Flags, ClipFlags.ChangedWhileRead] };
        }

        FaultPoints.Reach("object-stored");
        var payload = new ClipIngestedPayload { Sha256 = stored.Key.ToHex(), Size = stored.Size, Station = vault.Station, Clip = facts };
        List<string> subjects = [Subjects.Clip(stored.Key)];
        if (facts.DeviceSerial is { } serial)
        {
            subjects.Add(Subjects.Device(serial));
        }

        var actor = facts.DeviceSerial is { } device ? "device:" + device : "station:" + vault.Station;
        var entries = await vault.RecordAsync(
            [new NewEntry(EntryTypes.ClipIngested, actor, subjects, "docked: R1 upload within 24 h (000 §19, 001 §21, 002 §13, 003 §32)", PayloadJson.Serialize(payload))],
            cancellationToken).ConfigureAwait(false);
        return new ClipIngestResult(stored.Key, stored.Size, stored.AlreadyStored, entries[0].Index, facts.Flags);
    }
}
