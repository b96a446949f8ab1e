using MediatR;
using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Cases;

/// <summary>Register a case: number, cause (案由), parties. <paramref name="By"/> is the person doing it.</summary>
public sealed record RegisterCase(string CaseNumber, string Cause, IReadOnlyList<string> Parties, string By, string Reason) : IRequest<long>;

/// <summary>Record an enforcement action of a case (R12); clips of its officers recorded during it are linked automatically.</summary>
/// <param name="Emergency">R16 (003 §8, 004 §9): started before approval; approval is due within the profile's hours.</param>
public sealed record RecordAction(string CaseNumber, string ActionType, IReadOnlyList<string> Officers, string? Place, Instant Start, Instant End, string By, string Reason, bool Emergency = false) : IRequest<long>;

/// <summary>A clerk links (or unlinks) a clip to a case by hand, with a reason.</summary>
public sealed record LinkClip(Sha256Digest Clip, string CaseNumber, bool Link, string By, string Reason) : IRequest<long>;

/// <summary>Attach the signed written explanation of an interruption (R3: 001 §20, 002 §11, 004 §17).</summary>
public sealed record AttachWrittenExplanation(
    Sha256Digest ResumedClip,
    Sha256Digest? PreviousClip,
    string Category,
    string Text,
    IReadOnlyList<string> SignedBy,
    Stream? Document,
    string By) : IRequest<long>;

/// <summary>A clerk confirms (heard) or rejects the detector's verdict on a resumed clip's spoken explanation.</summary>
public sealed record ReviewSpeech(Sha256Digest ResumedClip, bool Heard, string? Note, string By) : IRequest<long>;

public sealed class ReviewSpeechValidator : AbstractValidator<ReviewSpeech>
{
    public ReviewSpeechValidator() => RuleFor(c => c.By).IsIdentity();
}

public static class IdentityRule
{
    /// <summary>Every change needs an identity: who did it is part of the custody record (R8, 004 §32).</summary>
    public static IRuleBuilderOptions<T, string> IsIdentity<T>(this IRuleBuilder<T, string> rule) =>
        rule.NotEmpty().WithMessage("Every change needs an identity (--by).");
}

public static class ExplanationCategories
{
    public static readonly string[] All = ["equipment-failure", "low-battery", "storage-full", "weather", "obstruction", "other"];
}

public sealed class RegisterCaseValidator : AbstractValidator<RegisterCase>
{
    public RegisterCaseValidator()
    {
        RuleFor(c => c.CaseNumber).NotEmpty().MaximumLength(64);
        RuleFor(c => c.Cause).NotEmpty();
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RecordActionValidator : AbstractValidator<RecordAction>
{
    public RecordActionValidator()
    {
        RuleFor(c => c.CaseNumber).NotEmpty();
        RuleFor(c => c.ActionType).NotEmpty();
        RuleFor(c => c.Officers).NotEmpty().WithMessage("An enforcement action has at least one officer.");
        RuleFor(c => c.End).GreaterThan(c => c.Start).WithMessage("The action must end after it starts.");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class LinkClipValidator : AbstractValidator<LinkClip>
{
    public LinkClipValidator()
    {
        RuleFor(c => c.CaseNumber).NotEmpty();
        RuleFor(c => c.By).IsIdentity();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("A link or unlink by hand needs a reason (--reason).");
    }
}

public sealed class AttachWrittenExplanationValidator : AbstractValidator<AttachWrittenExplanation>
{
    public AttachWrittenExplanationValidator()
    {
        RuleFor(c => c.Category).Must(ExplanationCategories.All.Contains)
            .WithMessage($"Category must be one of {string.Join(", ", ExplanationCategories.All)}.");
        RuleFor(c => c.Text).NotEmpty().MaximumLength(8000);
        RuleFor(c => c.SignedBy).Must(s => s.Distinct(StringComparer.Ordinal).Count() == s.Count)
            .WithMessage("Each officer signs once: signatures must be distinct.")
            .Must(s => s.Count <= 20).WithMessage("At most 20 officers sign one explanation.");
        RuleForEach(c => c.SignedBy).NotEmpty().MaximumLength(64);
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class CaseCommandHandlers(Vault vault) :
    IRequestHandler<RegisterCase, long>,
    IRequestHandler<RecordAction, long>,
    IRequestHandler<LinkClip, long>,
    IRequestHandler<AttachWrittenExplanation, long>,
    IRequestHandler<ReviewSpeech, long>
{
    public async Task<long> Handle(ReviewSpeech request, CancellationToken cancellationToken)
    {
        if (vault.Clips.FactsOf("clip_speech", request.ResumedClip) is null)
        {
            throw new VaultException($"Clip {request.ResumedClip} has not been analysed for speech: it does not resume an interruption, or the worker has not run.");
        }

        var payload = new SpeechReviewedPayload { Sha256 = request.ResumedClip.ToHex(), Heard = request.Heard, Note = request.Note };
        return await vault.RecordActAsync(EntryTypes.SpeechReviewed, request.By, [Subjects.Clip(request.ResumedClip)],
            "R3: clerk reviewed the spoken explanation on resuming (001 §20, 002 §11)", payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> Handle(RegisterCase request, CancellationToken cancellationToken)
    {
        if (vault.Clips.CaseExists(request.CaseNumber))
        {
            throw new VaultException($"Case {request.CaseNumber} is already registered.");
        }

        var payload = new CaseRegisteredPayload { CaseNumber = request.CaseNumber, Cause = request.Cause, Parties = request.Parties };
        return await vault.RecordActAsync(EntryTypes.CaseRegistered, request.By, [Subjects.Case(request.CaseNumber)], request.Reason, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> Handle(RecordAction request, CancellationToken cancellationToken)
    {
        RequireOpenCase(request.CaseNumber);
        var payload = new ActionRecordedPayload
        {
            CaseNumber = request.CaseNumber,
            ActionType = request.ActionType,
            Officers = request.Officers,
            Place = request.Place,
            Start = InstantPattern.ExtendedIso.Format(request.Start),
            End = InstantPattern.ExtendedIso.Format(request.End),
            Emergency = request.Emergency,
        };
        var index = await vault.RecordActAsync(EntryTypes.ActionRecorded, request.By, [Subjects.Case(request.CaseNumber)], request.Reason, payload, cancellationToken).ConfigureAwait(false);
        await CaseLinks.AutoLinkAsync(vault, null, cancellationToken).ConfigureAwait(false);
        return index;
    }

    public async Task<long> Handle(LinkClip request, CancellationToken cancellationToken)
    {
        if (request.Link)
        {
            RequireOpenCase(request.CaseNumber);
        }
        else
        {
            RequireCase(request.CaseNumber);
        }

        if (!vault.Clips.Holds(request.Clip))
        {
            throw new VaultException($"Clip {request.Clip} is not in custody.");
        }

        var linked = vault.Clips.CasesOf(request.Clip).Contains(request.CaseNumber);
        if (linked == request.Link)
        {
            throw new VaultException($"Clip {request.Clip} is {(linked ? "already" : "not")} linked to case {request.CaseNumber}.");
        }

        var payload = new ClipLinkPayload { Sha256 = request.Clip.ToHex(), CaseNumber = request.CaseNumber };
        return await vault.RecordActAsync(request.Link ? EntryTypes.ClipLinked : EntryTypes.ClipUnlinked, request.By,
            [Subjects.Clip(request.Clip), Subjects.Case(request.CaseNumber)], request.Reason, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> Handle(AttachWrittenExplanation request, CancellationToken cancellationToken)
    {
        if (!vault.Clips.Holds(request.ResumedClip))
        {
            throw new VaultException($"Clip {request.ResumedClip} is not in custody.");
        }

        string? document = null;
        if (request.Document is not null)
        {
            // The signed paper, scanned, is evidence too: stored by its hash like an original.
            document = (await vault.Objects.PutAsync(request.Document, cancellationToken).ConfigureAwait(false)).Key.ToHex();
        }

        var payload = new WrittenExplanationPayload
        {
            ResumedClipSha256 = request.ResumedClip.ToHex(),
            PreviousClipSha256 = request.PreviousClip?.ToHex(),
            Category = request.Category,
            Text = request.Text,
            SignedBy = request.SignedBy,
            DocumentSha256 = document,
        };
        return await vault.RecordActAsync(EntryTypes.WrittenExplanationAttached, request.By, [Subjects.Clip(request.ResumedClip)],
            "R3: written explanation of an interruption (001 §20, 002 §11, 004 §17)", payload, cancellationToken).ConfigureAwait(false);
    }

    private void RequireCase(string caseNumber)
    {
        if (!vault.Clips.CaseExists(caseNumber))
        {
            throw new VaultException($"Case {caseNumber} is not registered.");
        }
    }

    /// <summary>R18: a transferred case is the receiving body's; nothing is added to it here.</summary>
    private void RequireOpenCase(string caseNumber)
    {
        RequireCase(caseNumber);
        CaseTransfers.RefuseIfTransferred(vault, caseNumber);
    }
}

/// <summary>
/// Automatic links: a clip belongs to an action when its officer is among the action's officers and
/// its recording overlaps the action's time. Each link is a ledger entry; a clerk's unlink is never
/// undone automatically.
/// </summary>
public static class CaseLinks
{
    /// <param name="deviceSerial">Only this device's clips (after probing one clip); null for every clip (after recording an action).</param>
    public static async Task<int> AutoLinkAsync(Vault vault, string? deviceSerial = null, CancellationToken cancellationToken = default)
    {
        var actions = vault.Clips.Actions();
        if (actions.Count == 0)
        {
            return 0;
        }

        var unlinkedByHand = vault.Ledger.EntriesOfType(EntryTypes.ClipUnlinked)
            .Select(e => PayloadJson.Deserialize<ClipLinkPayload>(e.Payload))
            .Select(p => (p.Sha256, p.CaseNumber)).ToHashSet();
        var links = vault.Policy.Links();
        var linking = new HashSet<(string, string)>();
        var facts = new List<NewEntry>();
        foreach (var clip in vault.Clips.Timings(deviceSerial))
        {
            var sha = clip.Sha256.ToHex();
            foreach (var action in actions.Where(a => clip.Officer is not null && a.Officers.Contains(clip.Officer) && clip.Start < a.End && a.Start < clip.End))
            {
                if (links[sha].Contains(action.CaseNumber) || unlinkedByHand.Contains((sha, action.CaseNumber)) || !linking.Add((sha, action.CaseNumber)))
                {
                    continue;
                }

                var payload = new ClipLinkPayload { Sha256 = sha, CaseNumber = action.CaseNumber, ActionIndex = action.Index, Automatic = true };
                facts.Add(new NewEntry(EntryTypes.ClipLinked, "system:auto-link", [Subjects.Clip(clip.Sha256), Subjects.Case(action.CaseNumber)],
                    "officer among the action's officers and recording overlaps the action", PayloadJson.Serialize(payload)));
            }
        }

        if (facts.Count > 0)
        {
            await vault.RecordAsync(facts, cancellationToken).ConfigureAwait(false);
        }

        return facts.Count;
    }
}

/// <summary>R18 (000 §23): payload of CaseTransferred: to whom, who received it, the package handed over.</summary>
/// <param name="ExportEntry">The EvidenceExported entry of the package handed over.</param>
public sealed record CaseTransferredPayload(string CaseNumber, string To, string? Receiver, string Reason, long ExportEntry, string ManifestSha256, IReadOnlyList<string> Clips);

/// <summary>Whether a case was handed to another body, from its CaseTransferred entry.</summary>
public static class CaseTransfers
{
    public static LedgerEntry? Of(Vault vault, string caseNumber) =>
        vault.Ledger.Entries(Subjects.Case(caseNumber)).LastOrDefault(e => e.Type == EntryTypes.CaseTransferred);

    public static void RefuseIfTransferred(Vault vault, string caseNumber)
    {
        if (Of(vault, caseNumber) is { } transferred)
        {
            var to = PayloadJson.Deserialize<CaseTransferredPayload>(transferred.Payload).To;
            throw new VaultException($"Case {caseNumber} was transferred to {to} (ledger entry {transferred.Index}, R18): it is theirs now, and nothing more is added to it here.");
        }
    }
}
