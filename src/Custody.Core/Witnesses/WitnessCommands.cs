using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Verifier;
using FluentValidation;
using MediatR;

namespace EvidenceVault.Custody.Witnesses;

/// <summary>Offer every new checkpoint to the witness at <paramref name="Url"/> whose cosigner key is <paramref name="Key"/>.</summary>
public sealed record AddWitness(string Url, string Key, string Reason, string By) : IRequest<long>;

/// <summary>Stop offering checkpoints to the witness with this key; what it cosigned stays published.</summary>
public sealed record RemoveWitness(string Key, string Reason, string By) : IRequest<long>;

public sealed record WitnessAddedPayload(string Name, string Url, string Key);

public sealed record WitnessRemovedPayload(string Name, string Key);

public sealed class AddWitnessValidator : AbstractValidator<AddWitness>
{
    public AddWitnessValidator()
    {
        RuleFor(c => c.Url).Must(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            .WithMessage(c => $"'{c.Url}' is not an http(s) URL of a witness (--url).");
        RuleFor(c => c.Key).Must(WitnessKeyRule.IsCosignerKey).WithMessage(c => $"'{c.Key}' is not a cosigner key (name+keyhash+base64, algorithm 0x04) (--key).");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Adding a witness needs a reason (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RemoveWitnessValidator : AbstractValidator<RemoveWitness>
{
    public RemoveWitnessValidator()
    {
        RuleFor(c => c.Key).Must(WitnessKeyRule.IsCosignerKey).WithMessage(c => $"'{c.Key}' is not a cosigner key (--key).");
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Removing a witness needs a reason (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal static class WitnessKeyRule
{
    public static bool IsCosignerKey(string text)
    {
        try
        {
            _ = CosignerKey.Parse(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

internal sealed class WitnessCommandHandlers(Vault vault) :
    IRequestHandler<AddWitness, long>,
    IRequestHandler<RemoveWitness, long>
{
    public async Task<long> Handle(AddWitness request, CancellationToken cancellationToken)
    {
        var key = CosignerKey.Parse(request.Key);
        if (vault.Witnesses.Configured().Any(w => w.Key.Text == key.Text))
        {
            throw new VaultException($"The witness {key.Name} is already configured: remove it first to change its URL.");
        }

        var index = await vault.RecordActAsync(EntryTypes.WitnessAdded, request.By, [Subjects.Vault, Subjects.Witnesses, Subjects.Witnesses + ":" + key.Name], request.Reason,
            new WitnessAddedPayload(key.Name, request.Url, key.Text), cancellationToken).ConfigureAwait(false);
        // The new witness sees the ledger at once (its first cosignature), or on the next offer when down.
        await vault.Witnesses.OfferAsync(cancellationToken).ConfigureAwait(false);
        return index;
    }

    public Task<long> Handle(RemoveWitness request, CancellationToken cancellationToken)
    {
        var key = CosignerKey.Parse(request.Key);
        if (!vault.Witnesses.Configured().Any(w => w.Key.Text == key.Text))
        {
            throw new VaultException($"No witness with the key {key.Text} is configured.");
        }

        return vault.RecordActAsync(EntryTypes.WitnessRemoved, request.By, [Subjects.Vault, Subjects.Witnesses, Subjects.Witnesses + ":" + key.Name], request.Reason,
            new WitnessRemovedPayload(key.Name, key.Text), cancellationToken);
    }
}
