using MediatR;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Merkle;
using FluentValidation;

namespace EvidenceVault.Custody.Export;

/// <summary>Give a person a role. The grant is a ledgered act: who granted it, to whom, and why.</summary>
public sealed record GrantRole(string User, string Role, string By, string Reason) : IRequest<long>;

/// <summary>
/// R8/R9: ask to hand a case's recordings to a court or another outside party. Clips default to
/// every clip linked to the case; named clips must be linked to it.
/// </summary>
public sealed record RequestExport(string CaseNumber, IReadOnlyList<Sha256Digest> Clips, string Reason, string By) : IRequest<long>;

/// <summary>R8: approve an export request; only a holder of the profile's external-release approver role, never the requester.</summary>
public sealed record ApproveExport(long RequestIndex, string? Opinion, string By) : IRequest<long>;

public sealed class GrantRoleValidator : AbstractValidator<GrantRole>
{
    public GrantRoleValidator()
    {
        RuleFor(c => c.User).NotEmpty().Must(u => !u.Contains(':', StringComparison.Ordinal)).WithMessage("--user is a person's id, without a prefix.");
        RuleFor(c => c.Role).NotEmpty();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("A role grant says why (--reason).");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class RequestExportValidator : AbstractValidator<RequestExport>
{
    public RequestExportValidator()
    {
        RuleFor(c => c.CaseNumber).NotEmpty();
        RuleFor(c => c.Reason).NotEmpty().WithMessage("An export says why and for whom (--reason), e.g. the court and its case number.");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class ApproveExportValidator : AbstractValidator<ApproveExport>
{
    public ApproveExportValidator() => RuleFor(c => c.By).IsIdentity();
}

internal sealed class ExportCommandHandlers(Vault vault) :
    IRequestHandler<GrantRole, long>,
    IRequestHandler<RequestExport, long>,
    IRequestHandler<ApproveExport, long>
{
    public Task<long> Handle(GrantRole request, CancellationToken cancellationToken) =>
        vault.RecordActAsync(EntryTypes.RoleGranted, request.By, [Subjects.User(request.User)], request.Reason,
            new RoleGrantedPayload(request.User, request.Role), cancellationToken);

    public async Task<long> Handle(RequestExport request, CancellationToken cancellationToken)
    {
        if (!vault.Clips.CaseExists(request.CaseNumber))
        {
            throw new VaultException($"Case {request.CaseNumber} is not registered.");
        }

        CaseTransfers.RefuseIfTransferred(vault, request.CaseNumber);

        var linked = vault.Clips.ClipsOf(request.CaseNumber);
        var clips = request.Clips.Count == 0 ? linked : request.Clips.Distinct().ToList();
        if (clips.Count == 0)
        {
            throw new VaultException($"Case {request.CaseNumber} has no linked clips to export.");
        }

        if (clips.FirstOrDefault(c => !linked.Contains(c)) is var stray && stray != default)
        {
            throw new VaultException($"Clip {stray} is not linked to case {request.CaseNumber}; link it first (custody case link).");
        }

        // R10: a labelled recording leaves only through people cleared for its labels.
        if (LabelRefusal(vault, request.By, clips) is { } refused)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "RequestExport", Subjects.Case(request.CaseNumber), refused, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refused);
        }

        return await vault.RecordActAsync(EntryTypes.ExportRequested, request.By,
            [Subjects.Case(request.CaseNumber), .. clips.Select(Subjects.Clip)], request.Reason,
            new ExportRequestedPayload(request.CaseNumber, [.. clips.Select(c => c.ToHex())], request.Reason), cancellationToken).ConfigureAwait(false);
    }

    private static string? LabelRefusal(Vault vault, string user, IEnumerable<Sha256Digest> clips) => Access.ClipAccess.ForPerson(vault, user).LabelRefusal(clips);

    public async Task<long> Handle(ApproveExport request, CancellationToken cancellationToken)
    {
        var entry = ReadRequest(vault, request.RequestIndex);
        var asked = PayloadJson.Deserialize<ExportRequestedPayload>(entry.Payload);
        var role = vault.Policy.ActiveProfile().ExternalReleaseApprover;
        // A refused approval is a fact (issue 21): who tried, on which case, and why not.
        string? refusal = entry.Actor == "user:" + request.By
            ? $"{request.By} requested export {request.RequestIndex} and cannot approve it (R8: {role.Cite})."
            : !ExportApprovals.HoldsRole(vault, request.By, role.Role)
            ? $"{request.By} does not hold the role '{role.Role}' that approves external release under this profile (R8: {role.Cite})."
            : Access.Reviews.ApprovalRefusal(vault, entry, request.By) ?? LabelRefusal(vault, request.By, asked.Clips.Select(Sha256Digest.ParseHex));
        if (refusal is not null)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "ApproveExport", Subjects.Case(asked.CaseNumber), refusal, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refusal);
        }

        if (ExportApprovals.ApprovalOf(vault, asked.CaseNumber, request.RequestIndex) is not null)
        {
            throw new VaultException($"Export request {request.RequestIndex} is already approved.");
        }

        // The approver's trail (their account and role facts) as it stands, so a court holding the package
        // follows it back to the grant of the role and sees nothing withdrew it (issue 18 §7).
        var head = vault.Ledger.Entries(Subjects.User(request.By))[^1];
        var trail = new TrailHead(head.Index, MerkleHash.Leaf(LedgerEntryCodec.Encode(head)).ToHex());
        return await vault.RecordActAsync(EntryTypes.ExportApproved, request.By,
            [Subjects.Case(asked.CaseNumber), .. asked.Clips.Select(c => "clip:" + c)], $"R8: external release approved ({role.Cite})",
            new ExportApprovedPayload(request.RequestIndex, role.Role, request.Opinion, trail), cancellationToken).ConfigureAwait(false);
    }

    internal static LedgerEntry ReadRequest(Vault vault, long index)
    {
        var entry = index >= 0 && index < vault.Ledger.Size ? vault.Ledger.Read(index) : null;
        return entry?.Type == EntryTypes.ExportRequested ? entry : throw new VaultException($"Ledger entry {index} is not an export request.");
    }
}

/// <summary>Who may approve, and what has been approved and exported, read from the ledger.</summary>
public static class ExportApprovals
{
    public static bool HoldsRole(Vault vault, string user, string role) => Access.AccountDirectory.RolesOf(vault, user).Contains(role);

    public static LedgerEntry? ApprovalOf(Vault vault, string caseNumber, long requestIndex) =>
        vault.Ledger.Entries(Subjects.Case(caseNumber))
            .FirstOrDefault(e => e.Type == EntryTypes.ExportApproved && PayloadJson.Deserialize<ExportApprovedPayload>(e.Payload).RequestIndex == requestIndex);

    /// <summary>
    /// The approved, not yet exported request of a case for exactly these clips (any clips when
    /// none are named), newest first; null when there is none.
    /// </summary>
    public static (LedgerEntry Request, LedgerEntry Approval)? Approved(Vault vault, string caseNumber, IReadOnlyList<Sha256Digest> clips)
    {
        var trail = vault.Ledger.Entries(Subjects.Case(caseNumber));
        var used = trail.Where(e => e.Type == EntryTypes.EvidenceExported)
            .Select(e => PayloadJson.Deserialize<Verifier.EvidenceExportedPayload>(e.Payload).RequestIndex).ToHashSet();
        var wanted = clips.Select(c => c.ToHex()).ToHashSet(StringComparer.Ordinal);
        foreach (var request in trail.Where(e => e.Type == EntryTypes.ExportRequested && !used.Contains(e.Index)).Reverse())
        {
            var asked = PayloadJson.Deserialize<ExportRequestedPayload>(request.Payload);
            if (wanted.Count > 0 && !wanted.SetEquals(asked.Clips))
            {
                continue;
            }

            if (trail.FirstOrDefault(e => e.Type == EntryTypes.ExportApproved && PayloadJson.Deserialize<ExportApprovedPayload>(e.Payload).RequestIndex == request.Index) is { } approval)
            {
                return (request, approval);
            }
        }

        return null;
    }
}
