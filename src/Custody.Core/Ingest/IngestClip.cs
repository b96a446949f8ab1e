using MediatR;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using EvidenceVault.Custody.Hosting;
using EvidenceVault.Custody.Storage;

namespace EvidenceVault.Custody.Ingest;

/// <summary>
/// Put one original into verified custody: stream it from <paramref name="Source"/> into the object
/// store (hashing as it goes, so the camera is read once), confirm the stored copy, then append one
/// <c>ClipIngested</c> entry. Nothing is ledgered unless the object is stored whole (R1, R5).
/// </summary>
/// <param name="Source">The bytes as they come off the camera; read once, front to back.</param>
public sealed record IngestClip(Stream Source, ClipFacts Facts) : IRequest<ClipIngestResult>;

/// <summary>
/// A dock uploaded an original on its own (networked mode) and asks for it to be taken into custody:
/// the object must be in the store under that SHA-256 with exactly that size before anything is
/// ledgered. The store is content-addressed and checks the digest as it writes, so the key is the digest.
/// </summary>
/// <param name="Station">The dock station that uploaded it (its account), recorded as the ingesting station.</param>
public sealed record RegisterStoredClip(Sha256Digest Sha256, long Size, ClipFacts Facts, string Station) : IRequest<ClipIngestResult>;

/// <summary>
/// An original this process has just put into the vault's object store (the store hashed it on the
/// way in and the server confirmed it) taken into custody: the dock's second step when its uploads
/// run ahead of the ledger. In-process only; a dock over the network uses <see cref="RegisterStoredClip"/>.
/// </summary>
public sealed record RecordStoredOriginal(StoredObject Stored, ClipFacts Facts) : IRequest<ClipIngestResult>;

/// <param name="Sha256">The object key.</param>
/// <param name="AlreadyStored">The same bytes were in custody before (another name or another dock).</param>
/// <param name="LedgerIndex">The custody entry written for this clip.</param>
/// <param name="Flags">The flags recorded with it, including any the vault added.</param>
/// <param name="AlreadyInCustody">This very clip (same device, camera name and bytes) was registered before: the earlier entry, nothing new ledgered.</param>
public sealed record ClipIngestResult(Sha256Digest Sha256, long Size, bool AlreadyStored, long LedgerIndex, IReadOnlyList<string> Flags, bool AlreadyInCustody = false);

public sealed class IngestClipValidator : AbstractValidator<IngestClip>
{
    public IngestClipValidator()
    {
        RuleFor(c => c.Source).NotNull();
        RuleFor(c => c.Facts).SetValidator(new ClipFactsValidator());
    }
}

public sealed class RecordStoredOriginalValidator : AbstractValidator<RecordStoredOriginal>
{
    public RecordStoredOriginalValidator()
    {
        RuleFor(c => c.Stored).NotNull();
        RuleFor(c => c.Facts).SetValidator(new ClipFactsValidator());
    }
}

public sealed class RegisterStoredClipValidator : AbstractValidator<RegisterStoredClip>
{
    public RegisterStoredClipValidator()
    {
        RuleFor(c => c.Size).GreaterThanOrEqualTo(0);
        RuleFor(c => c.Station).NotEmpty();
        RuleFor(c => c.Facts).NotNull().WithMessage("A clip is registered with its facts (fileName at least).").SetValidator(new ClipFactsValidator());
    }
}

/// <summary>
/// What a dock may say about a clip, bounded (issue 21): every field has a length or range a real
/// camera stays within, flags are the known ones, so a station cannot grow the ledger (and every
/// trail that serves it) by sending megabytes of "facts".
/// </summary>
public sealed class ClipFactsValidator : AbstractValidator<ClipFacts>
{
    public ClipFactsValidator()
    {
        RuleFor(c => c.FileName).NotEmpty().MaximumLength(1024);
        RuleFor(c => c.DeviceSerial).MaximumLength(64);
        RuleFor(c => c.OfficerId).MaximumLength(64);
        RuleFor(c => c.OfficerName).MaximumLength(64);
        RuleFor(c => c.UnitId).MaximumLength(64);
        RuleFor(c => c.UnitName).MaximumLength(128);
        RuleFor(c => c.RecordedStartLocal).MaximumLength(40);
        RuleFor(c => c.RecordedStart).MaximumLength(40);
        RuleFor(c => c.ClockOffsetSeconds).Must(o => o is null || (double.IsFinite(o.Value) && Math.Abs(o.Value) <= 10 * 366 * 86_400.0))
            .WithMessage("A clock offset is a finite number of seconds within ten years.");
        RuleFor(c => c.Sequence).GreaterThanOrEqualTo(0);
        RuleFor(c => c.SizeOnCamera).GreaterThanOrEqualTo(0);
        RuleFor(c => c.Flags).NotNull().Must(f => f is null || f.Count <= ClipFlags.All.Count)
            .WithMessage($"A clip carries at most {ClipFlags.All.Count} flags, each once.");
        RuleForEach(c => c.Flags).Must(ClipFlags.All.Contains)
            .WithMessage($"'{{PropertyValue}}' is not a flag; flags are {string.Join(", ", ClipFlags.All.Order(StringComparer.Ordinal))}.")
            .When(c => c.Flags is { Count: <= 16 });
        RuleFor(c => c.TimeZone)
            .Must(zone => zone is null || NodaTime.DateTimeZoneProviders.Tzdb.GetZoneOrNull(zone) is not null)
            .WithMessage("'{PropertyValue}' is not a TZDB time zone.");
    }
}

internal sealed class IngestClipHandler(Vault vault) :
    IRequestHandler<IngestClip, ClipIngestResult>, IRequestHandler<RecordStoredOriginal, ClipIngestResult>, IRequestHandler<RegisterStoredClip, ClipIngestResult>
{
    public async Task<ClipIngestResult> Handle(IngestClip request, CancellationToken cancellationToken)
    {
        var stored = await vault.Objects.PutAsync(request.Source, cancellationToken).ConfigureAwait(false);
        return await RecordAsync(stored, request.Facts, vault.Station, cancellationToken).ConfigureAwait(false);
    }

    // The store verified the object as it went in (size, digest checked by the server): nothing to ask again.
    public Task<ClipIngestResult> Handle(RecordStoredOriginal request, CancellationToken cancellationToken) =>
        RecordAsync(request.Stored, request.Facts, vault.Station, cancellationToken);

    public async Task<ClipIngestResult> Handle(RegisterStoredClip request, CancellationToken cancellationToken)
    {
        // A dock retries after a lost answer: the same clip again is the same custody fact, not a second one.
        if (vault.Clips.CustodyEntryOf(request.Facts.DeviceSerial, request.Facts.FileName, request.Sha256) is { } earlier)
        {
            return new ClipIngestResult(request.Sha256, request.Size, true, earlier, request.Facts.Flags, AlreadyInCustody: true);
        }

        // A dock uploaded it on its own: the stored copy is checked before the ledger calls it in custody,
        // by its bytes and not its size (issue 18 §10), and the version verified is the one recorded.
        if (await vault.Objects.FindVerifiedAsync(request.Sha256, request.Size, cancellationToken).ConfigureAwait(false) is not { } verified)
        {
            var size = await vault.Objects.SizeAsync(request.Sha256, cancellationToken).ConfigureAwait(false);
            throw new VaultException($"{request.Facts.FileName}: the store holds no object {request.Sha256} of {request.Size} bytes whose bytes hash to it (under that key: {(size is { } held ? held.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes" : "nothing")}); not in custody.");
        }

        return await RecordAsync(verified with { AlreadyStored = vault.Clips.Holds(request.Sha256) }, request.Facts, request.Station, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ClipIngestResult> RecordAsync(StoredObject stored, ClipFacts facts, string station, CancellationToken cancellationToken)
    {
        if (facts.SizeOnCamera is { } listed && listed != stored.Size && !facts.Flags.Contains(ClipFlags.ChangedWhileRead))
        {
            // The camera was still writing, or the file was altered while docked: keep what was read, and say so.
            facts = facts with { Flags = [.. facts.Flags, ClipFlags.ChangedWhileRead] };
        }

        // A re-dock reads every file again; the same bytes from the same device under the same name are
        // the same custody fact, written once (also when two docks race for it: the ledger checks again).
        if (vault.Clips.CustodyEntryOf(facts.DeviceSerial, facts.FileName, stored.Key) is { } earlier)
        {
            return new ClipIngestResult(stored.Key, stored.Size, true, earlier, facts.Flags, AlreadyInCustody: true);
        }

        if (vault.Clips.OtherBytesUnderName(facts.DeviceSerial, facts.FileName, stored.Key) && !facts.Flags.Contains(ClipFlags.NameReused))
        {
            facts = facts with { Flags = [.. facts.Flags, ClipFlags.NameReused] };
        }

        FaultPoints.Reach("object-stored");
        var unit = facts.OfficerId is null ? null : Access.UnitTree.Load(vault).UnitOf(facts.OfficerId);
        var payload = new ClipIngestedPayload { Sha256 = stored.Key.ToHex(), Size = stored.Size, Station = station, Clip = facts, StoreVersion = stored.Version, Unit = unit };
        List<string> subjects = [Subjects.Clip(stored.Key)];
        if (facts.DeviceSerial is { } serial)
        {
            subjects.Add(Subjects.Device(serial));
        }

        var actor = facts.DeviceSerial is { } device ? "device:" + device : "station:" + station;
        IReadOnlyList<LedgerEntry> entries;
        try
        {
            entries = await vault.RecordAsync(
                [new NewEntry(EntryTypes.ClipIngested, actor, subjects, "docked: R1 upload within 24 h (000 §19, 001 §21, 002 §13, 003 §32)", PayloadJson.Serialize(payload)) { WrittenOnce = true }],
                cancellationToken).ConfigureAwait(false);
        }
        catch (FactAlreadyRecordedException raced)
        {
            return new ClipIngestResult(stored.Key, stored.Size, true, raced.Index, facts.Flags, AlreadyInCustody: true);
        }

        return new ClipIngestResult(stored.Key, stored.Size, stored.AlreadyStored, entries[0].Index, facts.Flags);
    }
}
