using EvidenceVault.Custody.Export;
using EvidenceVault.Custody.Ledger;
using NodaTime;

namespace EvidenceVault.Custody.Access;

/// <summary>
/// One thing awaiting a decision (R16, 001 §13, 003 §38): what it is, the entry that asked, who asked
/// and when, and the article that makes it someone's to decide.
/// </summary>
/// <param name="Kind">copy, export, work-record or emergency-action.</param>
/// <param name="Entry">The request's ledger entry: the number the deciding command takes.</param>
/// <param name="Command">The command that decides it.</param>
public sealed record InboxItem(string Kind, long Entry, string Subject, string Summary, string RequestedBy, Instant RequestedAt, string Role, string Cite, string Command)
{
    /// <summary>Who reviewed the request (R16), when it was; they do not also approve it.</summary>
    public string? ReviewedBy { get; init; }
}

/// <param name="ToDecide">Requests this person may decide now: they hold the deciding role and did not ask.</param>
/// <param name="Waiting">Requests this person made that nobody has decided yet.</param>
public sealed record InboxView(string User, IReadOnlyList<InboxItem> ToDecide, IReadOnlyList<InboxItem> Waiting);

/// <summary>
/// One inbox per person over every approval the regulations ask for: copies for a party (the profile's
/// copy approver), exports and transfers (the external-release approver), work records (the profile's
/// reviewer, R11) and actions started before approval (R16: the profile's approver). Read from the ledger's
/// entries: a request is open until an entry decides it.
/// </summary>
public static class Inbox
{
    /// <summary>The inbox as <c>custody inbox --json</c> and <c>GET /inbox</c> both give it (field names are a contract).</summary>
    public static object Json(InboxView inbox)
    {
        static object Item(InboxItem i) => new
        {
            kind = i.Kind,
            ledgerEntry = i.Entry,
            subject = i.Subject,
            summary = i.Summary,
            requestedBy = i.RequestedBy,
            requestedAt = NodaTime.Text.InstantPattern.ExtendedIso.Format(i.RequestedAt),
            role = i.Role,
            article = i.Cite,
            command = i.Command,
        };
        return new { user = inbox.User, toDecide = inbox.ToDecide.Select(Item), waiting = inbox.Waiting.Select(Item) };
    }

    public static InboxView For(Vault vault, string user)
    {
        var profile = vault.Policy.ActiveProfile();
        var roles = AccountDirectory.RolesOf(vault, user);
        var open = Open(vault, profile).ToList();
        var me = "user:" + user;
        return new InboxView(
            user,
            [.. open.Where(i => roles.Contains(i.Role) && i.RequestedBy != me && i.ReviewedBy != me).OrderBy(i => i.RequestedAt)],
            [.. open.Where(i => i.RequestedBy == me).OrderBy(i => i.RequestedAt)]);
    }

    private static IEnumerable<InboxItem> Open(Vault vault, Policy.PolicyProfile profile)
    {
        var ledger = vault.Ledger;
        // R16: where the profile has a review step, an unreviewed request waits on its reviewer first.
        var reviewedRequests = ledger.EntriesOfType(Ledger.EntryTypes.RequestReviewed)
            .GroupBy(e => PayloadJson.Deserialize<RequestReviewedPayload>(e.Payload).RequestIndex).ToDictionary(g => g.Key, g => g.First().Actor);
        (string Role, string Cite, string Command)? Step(long request) => profile.Review is { } review && !reviewedRequests.ContainsKey(request)
            ? (review.Role, review.Cite, $"custody review --request {request} --opinion TEXT")
            : null;
        var copied = ledger.EntriesOfType(Ledger.EntryTypes.CopyApproved).Select(e => PayloadJson.Deserialize<CopyApprovedPayload>(e.Payload).RequestIndex).ToHashSet();
        foreach (var request in ledger.EntriesOfType(Ledger.EntryTypes.CopyRequested).Where(e => !copied.Contains(e.Index)))
        {
            var asked = PayloadJson.Deserialize<CopyRequestedPayload>(request.Payload);
            var (role, cite, command) = Step(request.Index) ?? (profile.CopyApprover.Role, profile.CopyApprover.Cite, $"custody copy approve --request {request.Index}");
            yield return new InboxItem("copy", request.Index, "clip:" + asked.Clips[0], $"copy of {asked.Clips.Count} clip(s) for {asked.Party}: {asked.Reason}",
                request.Actor, request.Time, role, cite, command) { ReviewedBy = reviewedRequests.GetValueOrDefault(request.Index) };
        }

        var exported = ledger.EntriesOfType(Ledger.EntryTypes.ExportApproved).Select(e => PayloadJson.Deserialize<ExportApprovedPayload>(e.Payload).RequestIndex).ToHashSet();
        foreach (var request in ledger.EntriesOfType(Ledger.EntryTypes.ExportRequested).Where(e => !exported.Contains(e.Index)))
        {
            var asked = PayloadJson.Deserialize<ExportRequestedPayload>(request.Payload);
            var (role, cite, command) = Step(request.Index) ?? (profile.ExternalReleaseApprover.Role, profile.ExternalReleaseApprover.Cite, $"custody export approve --request {request.Index}");
            yield return new InboxItem("export", request.Index, Subjects.Case(asked.CaseNumber), $"release of case {asked.CaseNumber} ({asked.Clips.Count} clips): {asked.Reason}",
                request.Actor, request.Time, role, cite, command) { ReviewedBy = reviewedRequests.GetValueOrDefault(request.Index) };
        }

        {
            var reviewer = profile.WorkRecordReview?.Reviewer ?? Policy.WorkRecordRule.DefaultReviewer;
            var cite = profile.WorkRecordReview?.Cite ?? "R11: 000 §9, 002 §8";
            var reviewed = ledger.EntriesOfType(Ledger.EntryTypes.WorkRecordReviewed).Select(e => PayloadJson.Deserialize<WorkRecordReviewedPayload>(e.Payload).RecordIndex).ToHashSet();
            foreach (var filed in ledger.EntriesOfType(Ledger.EntryTypes.WorkRecordFiled).Where(e => !reviewed.Contains(e.Index)))
            {
                var record = PayloadJson.Deserialize<WorkRecordFiledPayload>(filed.Payload);
                yield return new InboxItem("work-record", filed.Index, "officer:" + record.OfficerId, $"officer {record.OfficerId} did not record: {record.Reason} ({record.Basis})",
                    filed.Actor, filed.Time, reviewer, cite, $"custody workrecord review --index {filed.Index}");
            }
        }

        if (profile.EmergencyStart is { } emergency)
        {
            var approved = ledger.EntriesOfType(Ledger.EntryTypes.ActionApproved).Select(e => PayloadJson.Deserialize<ActionApprovedPayload>(e.Payload).ActionIndex).ToHashSet();
            foreach (var recorded in ledger.EntriesOfType(Ledger.EntryTypes.ActionRecorded).Where(e => !approved.Contains(e.Index)))
            {
                var action = PayloadJson.Deserialize<ActionRecordedPayload>(recorded.Payload);
                if (action.Emergency)
                {
                    yield return new InboxItem("emergency-action", recorded.Index, Subjects.Case(action.CaseNumber),
                        $"{action.ActionType} of case {action.CaseNumber} started {action.Start} before approval: approve within {emergency.ApprovalWithinHours} h",
                        recorded.Actor, recorded.Time, emergency.Approver, emergency.Cite, $"custody case approve-action --number {action.CaseNumber} --index {recorded.Index}");
                }
            }
        }
    }
}
