using System.Security.Cryptography;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;

namespace EvidenceVault.Custody.Access;

// R8 (000 §22, 003 §34, 002 §18; 004 §32): a party may have a copy of recordings with the approval of
// the profile's copy approver, never the requester; the copy is made from verified originals, and
// the viewer (requester), copier, approver, time and reason are ledgered.

/// <summary>Ask for a copy of clips for a party (the person concerned, their lawyer), saying why.</summary>
public sealed record RequestCopy(IReadOnlyList<Sha256Digest> Clips, string Party, string Reason, string By) : IRequest<long>;

/// <summary>Approve a copy request: only a holder of the profile's copy approver role, never the requester.</summary>
public sealed record ApproveCopy(long RequestIndex, string? Opinion, string By) : IRequest<long>;

/// <summary>Make an approved copy into <paramref name="OutDirectory"/> (a new folder), each file re-hashed against its original; returns the ClipCopied entry.</summary>
public sealed record MakeCopy(long RequestIndex, string OutDirectory, string By) : IRequest<long>;

public sealed record CopyRequestedPayload(IReadOnlyList<string> Clips, string Party, string Reason);

public sealed record CopyApprovedPayload(long RequestIndex, string Role, string? Opinion);

/// <summary>Payload of ClipCopied: who asked (the viewer), who copied, who approved, for whom, why, and exactly which bytes.</summary>
/// <param name="ReviewedBy">The reviewer, where the profile has a review step (R16); absent otherwise.</param>
public sealed record ClipCopiedPayload(long RequestIndex, long ApprovalIndex, string Party, string RequestedBy, string Copier, string ApprovedBy, string Reason, IReadOnlyList<CopiedClip> Clips, string? ReviewedBy = null);

public sealed record CopiedClip(string Sha256, long Size, string File);

public sealed class RequestCopyValidator : AbstractValidator<RequestCopy>
{
    public RequestCopyValidator()
    {
        RuleFor(c => c.Clips).NotEmpty().WithMessage("A copy names the clips it copies (--clip).").Must(c => c.Count <= 200).WithMessage("At most 200 clips in one copy.");
        RuleFor(c => c.Party).NotEmpty().MaximumLength(128).WithMessage("A copy is for a party (--party), up to 128 characters.");
        RuleFor(c => c.Reason).NotEmpty().MaximumLength(1000).WithMessage("A copy says why (--reason), up to 1000 characters.");
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class ApproveCopyValidator : AbstractValidator<ApproveCopy>
{
    public ApproveCopyValidator()
    {
        RuleFor(c => c.Opinion).MaximumLength(1000);
        RuleFor(c => c.By).IsIdentity();
    }
}

public sealed class MakeCopyValidator : AbstractValidator<MakeCopy>
{
    public MakeCopyValidator()
    {
        RuleFor(c => c.OutDirectory).NotEmpty();
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class CopyHandlers(Vault vault) : IRequestHandler<RequestCopy, long>, IRequestHandler<ApproveCopy, long>, IRequestHandler<MakeCopy, long>
{
    public async Task<long> Handle(RequestCopy request, CancellationToken cancellationToken)
    {
        var clips = request.Clips.Distinct().ToList();
        if (clips.FirstOrDefault(c => !vault.Clips.Holds(c)) is var missing && missing != default)
        {
            throw new VaultException($"No clip {missing} in custody.");
        }

        if (CopyRefusal(request.By, clips, Scope.Metadata) is { } refused)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "RequestCopy", Subjects.Clip(clips[0]), refused, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refused);
        }

        return await vault.RecordActAsync(EntryTypes.CopyRequested, request.By, [.. clips.Select(Subjects.Clip), Subjects.User(request.By)], request.Reason,
            new CopyRequestedPayload([.. clips.Select(c => c.ToHex())], request.Party, request.Reason), cancellationToken).ConfigureAwait(false);
    }

    private enum Scope
    {
        LabelsOnly,
        Metadata,
        Bytes,
    }

    /// <summary>
    /// R8 (004 §28): no one copies beyond their authority: the requester must be one who may see the
    /// clips, the copier one who may see their bytes (a clerk of the unit, a supervisor above it); the
    /// approver is the profile's head, cleared for the labels. R10 and R8's "secrets excepted" (000 §22,
    /// 003 §34): no copy for a party of a clip labelled a state or trade secret (on the clip or its case).
    /// Checked at each step, against the ledger as it stands then.
    /// </summary>
    private string? CopyRefusal(string user, IReadOnlyList<Sha256Digest> clips, Scope scope)
    {
        var access = ClipAccess.ForPerson(vault, user);
        foreach (var clip in clips)
        {
            if (access.LabelsOf(clip).FirstOrDefault(Labels.IsSecret) is { } secret)
            {
                return $"clip {clip} is labelled {secret}: a party's copy excepts secrets (R8: 000 §22, 003 §34; R10)";
            }

            if (scope != Scope.LabelsOnly && access.Refusal(clip, bytes: scope == Scope.Bytes) is { } refused)
            {
                return refused;
            }
        }

        return access.LabelRefusal(clips);
    }

    public async Task<long> Handle(ApproveCopy request, CancellationToken cancellationToken)
    {
        var asked = Request(request.RequestIndex, out var entry);
        var role = vault.Policy.ActiveProfile().CopyApprover;
        var refusal = entry.Actor == "user:" + request.By
            ? $"{request.By} requested copy {request.RequestIndex} and cannot approve it (R8: {role.Cite})."
            : !AccountDirectory.RolesOf(vault, request.By).Contains(role.Role)
            ? $"{request.By} does not hold the role '{role.Role}' that approves copies for a party under this profile (R8: {role.Cite})."
            : Reviews.ApprovalRefusal(vault, entry, request.By) ?? CopyRefusal(request.By, [.. asked.Clips.Select(Sha256Digest.ParseHex)], Scope.LabelsOnly);
        if (refusal is not null)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "ApproveCopy", Subjects.Clip(Sha256Digest.ParseHex(asked.Clips[0])), refusal, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refusal);
        }

        if (ApprovalOf(request.RequestIndex) is not null)
        {
            throw new VaultException($"Copy request {request.RequestIndex} is already approved.");
        }

        return await vault.RecordActAsync(EntryTypes.CopyApproved, request.By, [.. asked.Clips.Select(c => "clip:" + c), Subjects.User(request.By)],
            $"R8: copy for {asked.Party} approved ({role.Cite})", new CopyApprovedPayload(request.RequestIndex, role.Role, request.Opinion), cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> Handle(MakeCopy request, CancellationToken cancellationToken)
    {
        var asked = Request(request.RequestIndex, out var requested);
        var approval = ApprovalOf(request.RequestIndex) ?? throw new VaultException($"Copy request {request.RequestIndex} is not approved (custody copy approve).");
        if (CopyRefusal(request.By, [.. asked.Clips.Select(Sha256Digest.ParseHex)], Scope.Bytes) is { } refused)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, "MakeCopy", Subjects.Clip(Sha256Digest.ParseHex(asked.Clips[0])), refused, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refused);
        }

        var target = Path.GetFullPath(request.OutDirectory);
        if (Directory.Exists(target) || File.Exists(target))
        {
            throw new VaultException($"{target} exists: a copy goes into a new folder.");
        }

        // Into a folder beside the target first: each file streamed out of the store and re-hashed, so
        // the copy is the verified original; only once the ClipCopied entry is signed does it get its name.
        var staging = target + ".part-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        try
        {
            var copied = new List<CopiedClip>();
            foreach (var hex in asked.Clips)
            {
                var digest = Sha256Digest.ParseHex(hex);
                var file = hex + ".mp4"; // named by its digest: a camera's file name is never a path here
                await using (var source = await vault.OpenOriginalAsync(digest, cancellationToken).ConfigureAwait(false))
                await using (var output = new FileStream(Path.Combine(staging, file), FileMode.CreateNew, FileAccess.Write))
                using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                {
                    var buffer = new byte[1 << 20];
                    int read;
                    long size = 0;
                    while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        sha.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                        size += read;
                    }

                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    output.Flush(flushToDisk: true);
                    var actual = new Sha256Digest(sha.GetHashAndReset());
                    if (actual != digest)
                    {
                        throw new VaultException($"The store's bytes for {digest} hash to {actual}: no copy is made of a damaged original (custody verify --objects).");
                    }

                    copied.Add(new CopiedClip(hex, size, file));
                }
            }

            var review = Reviews.Of(vault, request.RequestIndex);
            var payload = new ClipCopiedPayload(request.RequestIndex, approval.Index, asked.Party, requested.Actor, "user:" + request.By, approval.Actor, asked.Reason, copied, review?.Actor);
            var index = await vault.RecordActAsync(EntryTypes.ClipCopied, request.By, [.. asked.Clips.Select(c => "clip:" + c), Subjects.User(request.By)],
                $"R8: copy for {asked.Party} (004 §32)", payload, cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(staging, "COPY.txt"),
                $"Copy for {asked.Party}, ledger entry {index} of {vault.VerifierKey.Name}\nrequested by {requested.Actor} (entry {request.RequestIndex}): {asked.Reason}\n" +
                (review is null ? string.Empty : $"reviewed by {review.Actor} (entry {review.Index}): {PayloadJson.Deserialize<RequestReviewedPayload>(review.Payload).Opinion}\n") +
                $"approved by {approval.Actor} (entry {approval.Index}); copied by user:{request.By}\n" +
                string.Join(string.Empty, copied.Select(c => $"{c.Sha256}  {c.File}  {c.Size} bytes\n")), cancellationToken).ConfigureAwait(false);
            Directory.Move(staging, target);
            return index;
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private CopyRequestedPayload Request(long index, out LedgerEntry entry)
    {
        // The request and its approval are read from entries proven to be in the signed tree, not from a row.
        entry = vault.Proven.Entry(index, out var problem) is { Type: EntryTypes.CopyRequested } found
            ? found
            : throw new VaultException($"Ledger entry {index} is not a copy request{(problem is null ? string.Empty : $" ({problem})")}.");
        return PayloadJson.Deserialize<CopyRequestedPayload>(entry.Payload);
    }

    private LedgerEntry? ApprovalOf(long requestIndex) =>
        vault.Ledger.EntriesOfType(EntryTypes.CopyApproved)
            .Where(e => PayloadJson.Deserialize<CopyApprovedPayload>(e.Payload).RequestIndex == requestIndex)
            .Select(e => vault.Proven.Entry(e.Index, out _))
            .FirstOrDefault(e => e is not null);
}
