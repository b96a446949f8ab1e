using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;

namespace EvidenceVault.Custody.Access;

/// <summary>
/// R16 (001 §13, 003 §38): handler → reviewer → approver. The request (a copy for a party, an export)
/// carries the handler's opinion and reason; where the profile asks for it, a holder of its reviewer
/// role, neither the handler nor later the approver, adds a dated review before anyone may approve.
/// </summary>
public sealed record ReviewRequest(long RequestIndex, string Opinion, string By) : IRequest<long>;

/// <param name="Kind">copy or export.</param>
public sealed record RequestReviewedPayload(long RequestIndex, string Kind, string Role, string Opinion);

public sealed class ReviewRequestValidator : AbstractValidator<ReviewRequest>
{
    public ReviewRequestValidator()
    {
        RuleFor(c => c.Opinion).NotEmpty().MaximumLength(1000).WithMessage("A review states its opinion (--opinion), up to 1000 characters.");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class ReviewHandler(Vault vault) : IRequestHandler<ReviewRequest, long>
{
    public async Task<long> Handle(ReviewRequest request, CancellationToken cancellationToken)
    {
        var asked = vault.Proven.Entry(request.RequestIndex, out var problem);
        var kind = asked?.Type switch
        {
            EntryTypes.CopyRequested => "copy",
            EntryTypes.ExportRequested => "export",
            _ => throw new VaultException($"Ledger entry {request.RequestIndex} is not a copy or export request{(problem is null ? string.Empty : $" ({problem})")}."),
        };
        var rule = vault.Policy.ActiveProfile().Review
            ?? throw new VaultException("The active profile has no review step (R16): the approver decides the request directly.");
        if (Reviews.Of(vault, request.RequestIndex) is { } done)
        {
            throw new VaultException($"Request {request.RequestIndex} was reviewed already (ledger entry {done.Index}).");
        }

        if (Reviews.Decided(vault, asked!))
        {
            throw new VaultException($"Request {request.RequestIndex} is approved already.");
        }

        var subject = asked!.Subjects.Select(s => s.Subject).First(s => !s.StartsWith("user:", StringComparison.Ordinal));
        var refusal = asked.Actor == "user:" + request.By
            ? $"{request.By} made request {request.RequestIndex} and cannot review it ({rule.Cite})."
            : !AccountDirectory.RolesOf(vault, request.By).Contains(rule.Role)
            ? $"{request.By} does not hold the role '{rule.Role}' that reviews requests under this profile ({rule.Cite})."
            : null;
        if (refusal is not null)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "ReviewRequest", subject, refusal, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refusal);
        }

        return await vault.RecordActAsync(EntryTypes.RequestReviewed, request.By, [.. asked.Subjects.Select(s => s.Subject).Where(s => !s.StartsWith("user:", StringComparison.Ordinal)), Subjects.User(request.By)],
            $"R16: {kind} request reviewed ({rule.Cite})", new RequestReviewedPayload(request.RequestIndex, kind, rule.Role, request.Opinion), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The reviews on record, from proven RequestReviewed entries.</summary>
public static class Reviews
{
    public static LedgerEntry? Of(Vault vault, long requestIndex) =>
        vault.Ledger.EntriesOfType(EntryTypes.RequestReviewed)
            .Where(e => PayloadJson.Deserialize<RequestReviewedPayload>(e.Payload).RequestIndex == requestIndex)
            .Select(e => vault.Proven.Entry(e.Index, out _))
            .FirstOrDefault(e => e is not null);

    /// <summary>Why <paramref name="approver"/> may not approve the request yet under the profile's review step; null when they may.</summary>
    public static string? ApprovalRefusal(Vault vault, LedgerEntry request, string approver)
    {
        if (vault.Policy.ActiveProfile().Review is not { } rule)
        {
            return null;
        }

        var review = Of(vault, request.Index);
        return review is null
            ? $"request {request.Index} has not been reviewed yet: a holder of '{rule.Role}' reviews it first (custody review, {rule.Cite})"
            : review.Actor == "user:" + approver
            ? $"{approver} reviewed request {request.Index} and cannot also approve it ({rule.Cite})"
            : null;
    }

    internal static bool Decided(Vault vault, LedgerEntry request) => request.Type == EntryTypes.CopyRequested
        ? vault.Ledger.EntriesOfType(EntryTypes.CopyApproved).Any(e => PayloadJson.Deserialize<CopyApprovedPayload>(e.Payload).RequestIndex == request.Index)
        : vault.Ledger.EntriesOfType(EntryTypes.ExportApproved).Any(e => PayloadJson.Deserialize<ExportApprovedPayload>(e.Payload).RequestIndex == request.Index);
}
