using MediatR;
using EvidenceVault.Custody.Ledger;
using FluentValidation;

namespace EvidenceVault.Custody.Access;

/// <summary>
/// R8 (004 §32, 000 §22): somebody is about to see a clip's bytes. The viewer, the time and the reason
/// are ledgered, and a checkpoint signed, before the first byte is served.
/// </summary>
public sealed record ViewClip(Sha256Digest Sha256, string Viewer, string Reason) : IRequest<long>;

public sealed record ClipViewedPayload(string Sha256, string Viewer, string Reason);

public sealed class ViewClipValidator : AbstractValidator<ViewClip>
{
    public ViewClipValidator()
    {
        RuleFor(c => c.Viewer).NotEmpty().WithMessage("Every access needs an identity.");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Seeing a recording needs a reason (R8): ?reason=...").MaximumLength(1000);
    }
}

internal sealed class ViewClipHandler(Vault vault) : IRequestHandler<ViewClip, long>
{
    public async Task<long> Handle(ViewClip request, CancellationToken cancellationToken)
    {
        if (!vault.Clips.Holds(request.Sha256))
        {
            throw new VaultException($"No clip {request.Sha256} in custody.");
        }

        var entries = await vault.RecordAsync([new NewEntry(EntryTypes.ClipViewed, request.Viewer, [Subjects.Clip(request.Sha256)], request.Reason,
            PayloadJson.Serialize(new ClipViewedPayload(request.Sha256.ToHex(), request.Viewer, request.Reason)))], cancellationToken).ConfigureAwait(false);
        await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return entries[0].Index;
    }
}
