using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ledger;
using FluentValidation;
using MediatR;

namespace EvidenceVault.Custody.Access;

/// <summary>
/// R10 (000 §25, 001 §25, 002 §19, 004 §32): records touching state secrets, trade secrets or personal
/// privacy are handled under limited authority. A label on a clip, or on a case (then on each of its
/// clips), hides metadata and bytes from everyone who lacks the matching clearance, a role named
/// <c>clearance:LABEL</c> granted like any other (custody role grant).
/// </summary>
public static class Labels
{
    public const string StateSecret = "state-secret";
    public const string TradeSecret = "trade-secret";
    public const string PersonalPrivacy = "personal-privacy";
    public static readonly string[] All = [StateSecret, TradeSecret, PersonalPrivacy];

    /// <summary>R8 (000 §22, 003 §34): a party's copy excepts secrets; personal privacy may be copied with a cleared approver.</summary>
    public static bool IsSecret(string label) => label is StateSecret or TradeSecret;

    public static string Clearance(string label) => "clearance:" + label;
}

/// <summary>Set (<paramref name="Set"/>) or clear a label on a clip or a case, by a supervisor over it, with a reason.</summary>
public sealed record ChangeLabel(Sha256Digest? Clip, string? Case, string Label, bool Set, string By, string Reason) : IRequest<long>;

public sealed record LabelPayload(string Subject, string Label);

public sealed class ChangeLabelValidator : AbstractValidator<ChangeLabel>
{
    public ChangeLabelValidator()
    {
        RuleFor(c => c).Must(c => (c.Clip is null) != (c.Case is null)).WithMessage("A label goes on one clip (--clip) or one case (--case).").OverridePropertyName("clip");
        RuleFor(c => c.Label).Must(Labels.All.Contains).WithMessage($"A label is one of {string.Join(", ", Labels.All)}.");
        RuleFor(c => c.Reason).NotEmpty().MaximumLength(1000).WithMessage("A label is set or cleared with a reason (--reason), up to 1000 characters.");
        RuleFor(c => c.By).IsIdentity();
    }
}

internal sealed class LabelHandlers(Vault vault) : IRequestHandler<ChangeLabel, long>
{
    public async Task<long> Handle(ChangeLabel request, CancellationToken cancellationToken)
    {
        var subject = request.Clip is { } clip ? Subjects.Clip(clip) : Subjects.Case(request.Case!);
        if (request.Clip is { } held && !vault.Clips.Holds(held))
        {
            throw new VaultException($"No clip {held} in custody.");
        }

        if (request.Case is { } number && !vault.Clips.CaseExists(number))
        {
            throw new VaultException($"Case {number} is not registered.");
        }

        var book = LabelBook.Load(vault);
        if (book.Of(subject).Contains(request.Label) == request.Set)
        {
            throw new VaultException($"{subject} is {(request.Set ? "already" : "not")} labelled {request.Label}.");
        }

        // Who may: a supervisor over every clip it covers; clearing also needs the clearance (one cannot
        // lift what one may not see).
        var who = new Account(request.By, AccountKinds.Person, AccountDirectory.RolesOf(vault, request.By));
        var access = ClipAccess.For(vault, who);
        var clips = request.Clip is { } one ? [one] : vault.Clips.ClipsOf(request.Case!);
        string? refusal = !who.Roles.Contains(Roles.Supervisor)
            ? $"{request.By} does not hold the role '{Roles.Supervisor}' that sets and clears confidentiality labels (R10)."
            : !request.Set && !who.Roles.Contains(Labels.Clearance(request.Label))
            ? $"{request.By} holds no clearance for {request.Label} ({Labels.Clearance(request.Label)}) and cannot clear it (R10)."
            : clips.Select(c => access.Refusal(c, bytes: false, ignoreLabels: true)).FirstOrDefault(r => r is not null);
        if (refusal is not null)
        {
            await vault.Refusals.RecordAsync("user:" + request.By, request.Set ? "SetLabel" : "ClearLabel", subject, refusal, cancellationToken).ConfigureAwait(false);
            throw new VaultException(refusal);
        }

        return await vault.RecordActAsync(request.Set ? EntryTypes.LabelSet : EntryTypes.LabelCleared, request.By, [subject], request.Reason,
            new LabelPayload(subject, request.Label), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The labels on each clip and case now, replayed from the LabelSet and LabelCleared entries.</summary>
public sealed class LabelBook
{
    private static readonly IReadOnlySet<string> None = new HashSet<string>();
    private readonly Dictionary<string, HashSet<string>> _labels;

    private LabelBook(Dictionary<string, HashSet<string>> labels) => _labels = labels;

    /// <summary>Whether any case carries a label (only then do a clip's case links matter).</summary>
    public bool AnyCase => _labels.Keys.Any(s => s.StartsWith("case:", StringComparison.Ordinal));

    public static LabelBook Load(Vault vault)
    {
        var labels = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var entry in vault.Ledger.EntriesOfType(EntryTypes.LabelSet).Concat(vault.Ledger.EntriesOfType(EntryTypes.LabelCleared)).OrderBy(e => e.Index))
        {
            var label = PayloadJson.Deserialize<LabelPayload>(entry.Payload);
            if (!entry.Subjects.Any(s => s.Subject == label.Subject))
            {
                continue; // a payload naming a subject the entry is not filed under is not this label
            }

            if (entry.Type == EntryTypes.LabelSet)
            {
                (labels.TryGetValue(label.Subject, out var set) ? set : labels[label.Subject] = new HashSet<string>(StringComparer.Ordinal)).Add(label.Label);
            }
            else if (labels.TryGetValue(label.Subject, out var set) && set.Remove(label.Label) && set.Count == 0)
            {
                labels.Remove(label.Subject);
            }
        }

        return new LabelBook(labels);
    }

    public IReadOnlySet<string> Of(string subject) => _labels.TryGetValue(subject, out var set) ? set : None;
}
