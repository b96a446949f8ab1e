using MediatR;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using NodaTime;
using NodaTime.Text;

namespace EvidenceVault.Custody.Policy;

/// <summary>Choose the vault's active policy profile. A change is a ledgered act by a named person with a reason.</summary>
public sealed record SelectPolicy(string ProfileId, string By, string Reason) : IRequest<long>;

/// <summary>R1 exception (001 §21, 002 §13): the officer was on continuous or remote enforcement from From until ReturnedAt.</summary>
public sealed record DeclareRemoteEnforcement(string OfficerId, string Reason, Instant From, Instant ReturnedAt, string By) : IRequest<long>;

/// <summary>R2: the case's matter ended (the archive period starts the next day).</summary>
public sealed record EndMatter(string CaseNumber, Instant EndedAt, string By) : IRequest<long>;

public sealed record ArchiveCase(string CaseNumber, Instant ArchivedAt, string By) : IRequest<long>;

/// <summary>R16 (003 §8, 004 §9): the approval of an action started in an emergency.</summary>
public sealed record ApproveAction(string CaseNumber, long ActionIndex, string? Opinion, Instant ApprovedAt, string By) : IRequest<long>;

/// <summary>R11 (000 §9, 002 §8): an officer records why an action was not recorded.</summary>
public sealed record FileWorkRecord(string OfficerId, string Reason, string Basis, Instant At, string By) : IRequest<long>;

public sealed record ReviewWorkRecord(long RecordIndex, string Opinion, string By) : IRequest<long>;

/// <summary>R6: a long-term trigger, legal hold or use as evidence, for a case (case:N) or a clip (clip:SHA).</summary>
public sealed record RecordRetentionFact(string Kind, string Subject, string? Trigger, string? Note, string By) : IRequest<long>;

public static class RetentionFactKinds
{
    public const string Trigger = "trigger";
    public const string LegalHold = "legal-hold";
    public const string Evidence = "evidence";
    public static readonly string[] All = [Trigger, LegalHold, Evidence];
}

public sealed class PolicyCommandValidator :
    AbstractValidator<SelectPolicy>
{
    public PolicyCommandValidator()
    {
        RuleFor(c => c.ProfileId).Must(PolicyProfile.Ids.Contains).WithMessage(c => $"'{c.ProfileId}' is not a policy profile (known: {string.Join(", ", PolicyProfile.Ids)}).");
        RuleFor(c => c.By).IsIdentity();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("Changing the policy profile needs a reason (--reason).");
    }
}

public sealed class DeclareRemoteEnforcementValidator : AbstractValidator<DeclareRemoteEnforcement>
{
    public DeclareRemoteEnforcementValidator()
    {
        RuleFor(c => c.OfficerId).NotEmpty();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("A declaration says why (--reason).");
        RuleFor(c => c.ReturnedAt).GreaterThan(c => c.From).WithMessage("The officer returns after leaving.");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RecordRetentionFactValidator : AbstractValidator<RecordRetentionFact>
{
    public RecordRetentionFactValidator()
    {
        RuleFor(c => c.Kind).Must(RetentionFactKinds.All.Contains).WithMessage($"Kind must be one of {string.Join(", ", RetentionFactKinds.All)}.");
        RuleFor(c => c.Subject).Must(s => s.StartsWith("case:", StringComparison.Ordinal) || s.StartsWith("clip:", StringComparison.Ordinal))
            .WithMessage("The subject is case:<number> or clip:<sha256>.");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class PolicyCommandHandlers(Vault vault) :
    IRequestHandler<SelectPolicy, long>,
    IRequestHandler<DeclareRemoteEnforcement, long>,
    IRequestHandler<EndMatter, long>,
    IRequestHandler<ArchiveCase, long>,
    IRequestHandler<ApproveAction, long>,
    IRequestHandler<FileWorkRecord, long>,
    IRequestHandler<ReviewWorkRecord, long>,
    IRequestHandler<RecordRetentionFact, long>
{
    public Task<long> Handle(SelectPolicy request, CancellationToken cancellationToken) =>
        vault.RecordActAsync(EntryTypes.PolicySelected, request.By, [Subjects.Vault], request.Reason,
            new PolicySelectedPayload(request.ProfileId, vault.Policy.ActiveProfileId()), cancellationToken);

    public Task<long> Handle(DeclareRemoteEnforcement request, CancellationToken cancellationToken) =>
        vault.RecordActAsync(EntryTypes.RemoteEnforcementDeclared, request.By, ["officer:" + request.OfficerId], request.Reason,
            new RemoteEnforcementDeclaredPayload(request.OfficerId, request.Reason, Iso(request.From), Iso(request.ReturnedAt)), cancellationToken);

    public Task<long> Handle(EndMatter request, CancellationToken cancellationToken)
    {
        RequireCase(request.CaseNumber);
        return vault.RecordActAsync(EntryTypes.MatterEnded, request.By, [Subjects.Case(request.CaseNumber)], "R2: matter ended; archive period starts",
            new MatterEndedPayload(request.CaseNumber, Iso(request.EndedAt)), cancellationToken);
    }

    public Task<long> Handle(ArchiveCase request, CancellationToken cancellationToken)
    {
        RequireCase(request.CaseNumber);
        return vault.RecordActAsync(EntryTypes.CaseArchived, request.By, [Subjects.Case(request.CaseNumber)], "R2: case file archived",
            new CaseArchivedPayload(request.CaseNumber, Iso(request.ArchivedAt)), cancellationToken);
    }

    public async Task<long> Handle(ApproveAction request, CancellationToken cancellationToken)
    {
        var entry = vault.Ledger.Read(request.ActionIndex);
        if (entry.Type != EntryTypes.ActionRecorded || PayloadJson.Deserialize<ActionRecordedPayload>(entry.Payload).CaseNumber != request.CaseNumber)
        {
            throw new VaultException($"Ledger entry {request.ActionIndex} is not an action of case {request.CaseNumber}.");
        }

        // R16 (003 §8, 004 §9): the profile's approver (主管领导 / 本单位负责人), never whoever recorded the action.
        var rule = vault.Policy.ActiveProfile().EmergencyStart;
        var role = rule?.Approver ?? Access.Roles.Supervisor;
        await RefuseUnlessAsync("ApproveAction", Subjects.Case(request.CaseNumber), request.By, entry, role, rule?.Cite ?? "R16", "an action started before approval", cancellationToken).ConfigureAwait(false);
        return await vault.RecordActAsync(EntryTypes.ActionApproved, request.By, [Subjects.Case(request.CaseNumber)], "R16: approval of an action started in an emergency",
            new ActionApprovedPayload(request.CaseNumber, request.ActionIndex, Iso(request.ApprovedAt), request.Opinion), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Only a holder of <paramref name="role"/> who did not write <paramref name="asked"/> decides it; a refusal is ledgered.</summary>
    private async Task RefuseUnlessAsync(string action, string subject, string by, LedgerEntry asked, string role, string cite, string what, CancellationToken cancellationToken)
    {
        var refusal = asked.Actor == "user:" + by
            ? $"{by} recorded {what} (entry {asked.Index}) and cannot also decide it ({cite})."
            : !Access.AccountDirectory.RolesOf(vault, by).Contains(role)
            ? $"{by} does not hold the role '{role}' that decides {what} under this profile ({cite})."
            : null;
        if (refusal is not null)
        {
            await vault.Refusals.RecordAsync("user:" + by, action, subject, refusal, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refusal);
        }
    }

    public Task<long> Handle(FileWorkRecord request, CancellationToken cancellationToken) =>
        vault.RecordActAsync(EntryTypes.WorkRecordFiled, request.By, ["officer:" + request.OfficerId], "R11: action not recorded",
            new WorkRecordFiledPayload(request.OfficerId, request.Reason, request.Basis, Iso(request.At)), cancellationToken);

    public async Task<long> Handle(ReviewWorkRecord request, CancellationToken cancellationToken)
    {
        var entry = vault.Ledger.Read(request.RecordIndex);
        if (entry.Type != EntryTypes.WorkRecordFiled)
        {
            throw new VaultException($"Ledger entry {request.RecordIndex} is not a work record.");
        }

        // R11 (000 §9, 002 §8): reviewed by the agency head (the profile's reviewer), not by whoever filed it.
        var officer = PayloadJson.Deserialize<WorkRecordFiledPayload>(entry.Payload).OfficerId;
        var rule = vault.Policy.ActiveProfile().WorkRecordReview;
        await RefuseUnlessAsync("ReviewWorkRecord", "officer:" + officer, request.By, entry, rule?.Reviewer ?? WorkRecordRule.DefaultReviewer, rule?.Cite ?? "R11: 000 §9, 002 §8", "a work record", cancellationToken).ConfigureAwait(false);
        return await vault.RecordActAsync(EntryTypes.WorkRecordReviewed, request.By, ["officer:" + officer], "R11: reviewed by the head",
            new WorkRecordReviewedPayload(request.RecordIndex, request.Opinion), cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> Handle(RecordRetentionFact request, CancellationToken cancellationToken)
    {
        var before = Retention.Classify(vault);
        var index = await vault.RecordActAsync(EntryTypes.RetentionFactRecorded, request.By, [request.Subject], "R6: retention fact",
            new RetentionFactPayload(request.Kind, request.Subject, request.Trigger, request.Note), cancellationToken).ConfigureAwait(false);
        // R6: every clip whose retention this lengthens gets its own ledgered extension (never a
        // shortening); where the store locks originals, the lock is extended first and its date ledgered.
        var after = Retention.Classify(vault);
        var extensions = new List<NewEntry>();
        foreach (var (sha, now) in after.Where(a => before.TryGetValue(a.Key, out var old) && Retention.Rank(a.Value.Class) > Retention.Rank(old.Class)))
        {
            var lockedUntil = now.Class == Retention.LongTerm
                ? await vault.Objects.ExtendRetentionAsync(Sha256Digest.ParseHex(sha), vault.Clock.GetCurrentInstant() + Retention.LongTermLock, vault.StoreVersionsOf(Sha256Digest.ParseHex(sha)), cancellationToken).ConfigureAwait(false)
                : null;
            extensions.Add(new NewEntry(EntryTypes.RetentionExtended, "system:retention", [Subjects.Clip(Sha256Digest.ParseHex(sha))], now.Because,
                PayloadJson.Serialize(new RetentionExtendedPayload(sha, before[sha].Class, now.Class, now.Because, lockedUntil is { } until ? Iso(until) : null))));
        }

        if (extensions.Count > 0)
        {
            await vault.RecordAsync(extensions, cancellationToken).ConfigureAwait(false);
            await vault.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }

        return index;
    }

    private void RequireCase(string caseNumber)
    {
        if (!vault.Clips.CaseExists(caseNumber))
        {
            throw new VaultException($"Case {caseNumber} is not registered.");
        }
    }

    private static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);
}
