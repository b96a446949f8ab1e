using System.Text.Json;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Catalog;
using EvidenceVault.Custody.Interruptions;
using EvidenceVault.Custody.Ledger;
using MediatR;
using NodaTime.Text;

namespace EvidenceVault.Api;

/// <summary>Custody metadata for officers, clerks, supervisors and auditors: clips, cases, trails, interruptions.</summary>
internal static class QueryEndpoints
{
    public static void MapQueryEndpoints(this WebApplication app)
    {
        var reader = app.MapGroup(string.Empty).RequireAuthorization(Policies.Reader);
        // R7 (001 §25): find recordings by officer, device, time of recording, unit, case, party and cause; paged
        // with limit and after (a ledger entry), the next page named in a Link header (RFC 8288).
        reader.MapGet("/clips", async (IMediator mediator, HttpContext context, string? device, string? officer, string? from, string? to,
            [Microsoft.AspNetCore.Mvc.FromQuery(Name = "case")] string? caseNumber, string? party, string? cause, string? unit, long? after, int? limit, CancellationToken cancellationToken) =>
        {
            var search = new ClipSearch(device, officer, Time("from", from), Time("to", to), caseNumber, party, cause, after, limit, unit);
            var clips = await mediator.Send(new ListClips(Search: search, Viewer: context.User.Account()), cancellationToken);
            if (limit is { } size && clips.Count == size)
            {
                var next = QueryString.Create(context.Request.Query.Where(q => q.Key != "after").SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v))).Append(KeyValuePair.Create("after", (string?)clips[^1].LedgerIndex.ToString(System.Globalization.CultureInfo.InvariantCulture))));
                context.Response.Headers.Link = $"<{context.Request.PathBase}{context.Request.Path}{next}>; rel=\"next\"";
            }

            return clips;
        }).WithName("ListClips");

        reader.MapGet("/clips/{sha256}", async (string sha256, Vault vault, HttpContext context) =>
        {
            var digest = DockEndpoints.Digest(sha256);
            if (!vault.Clips.Holds(digest))
            {
                return Results.NotFound();
            }

            if (context.Access(vault).Refusal(digest, bytes: false) is { } why)
            {
                return await Scope.RefuseAsync(context, vault, "GetClip", Subjects.Clip(digest), why);
            }

            return Results.Ok(new
            {
                sha256 = digest.ToHex(),
                sources = vault.Clips.SourcesOf(digest).Select(s => new { deviceSerial = s.Device, fileName = s.FileName }),
                cases = vault.Clips.CasesOf(digest),
                probe = vault.Clips.FactsOf("clip_probe", digest) is { } probe ? JsonDocument.Parse(probe).RootElement : (JsonElement?)null,
                speech = vault.Clips.FactsOf("clip_speech", digest) is { } speech ? JsonDocument.Parse(speech).RootElement : (JsonElement?)null,
            });
        }).WithName("GetClip");

        reader.MapGet("/clips/{sha256}/trail", async (string sha256, Vault vault, HttpContext context) =>
        {
            var digest = DockEndpoints.Digest(sha256);
            var subject = Subjects.Clip(digest);
            var entries = vault.Ledger.Entries(subject);
            return entries.Count > 0 && context.Access(vault).Refusal(digest, bytes: false, trail: entries) is { } why
                ? await Scope.RefuseAsync(context, vault, "ClipTrail", subject, why)
                : Trail(vault, subject, entries);
        }).WithName("ClipTrail");

        reader.MapGet("/cases/{number}", async (string number, Vault vault, HttpContext context) =>
        {
            var trail = vault.Ledger.Entries(Subjects.Case(number));
            var registered = trail.FirstOrDefault(e => e.Type == EntryTypes.CaseRegistered);
            if (registered is null)
            {
                return Results.NotFound();
            }

            var access = context.Access(vault);
            if (access.CaseRefusal(number) is { } why)
            {
                return await Scope.RefuseAsync(context, vault, "GetCase", Subjects.Case(number), why);
            }

            return Results.Ok(new
            {
                caseNumber = number,
                facts = JsonDocument.Parse(registered.Payload).RootElement,
                actions = trail.Where(e => e.Type == EntryTypes.ActionRecorded).Select(e => new { ledgerEntry = e.Index, facts = JsonDocument.Parse(e.Payload).RootElement }),
                // Only the clips this caller may see (R8, R10); the case's trail names every link.
                clips = vault.Clips.ClipsOf(number).Where(c => access.Refusal(c, bytes: false) is null).Select(c => c.ToHex()),
                // R18: handed to another body, from its CaseTransferred entry.
                transferred = Custody.Cases.CaseTransfers.Of(vault, number) is { } transfer && PayloadJson.Deserialize<Custody.Cases.CaseTransferredPayload>(transfer.Payload) is var moved
                    ? new { to = moved.To, receiver = moved.Receiver, at = InstantPattern.ExtendedIso.Format(transfer.Time), ledgerEntry = transfer.Index, exportEntry = moved.ExportEntry }
                    : null,
            });
        }).WithName("GetCase");

        reader.MapGet("/cases/{number}/trail", async (string number, Vault vault, HttpContext context) =>
            context.Access(vault).CaseRefusal(number) is { } why
                ? await Scope.RefuseAsync(context, vault, "CaseTrail", Subjects.Case(number), why)
                : Trail(vault, Subjects.Case(number))).WithName("CaseTrail");

        reader.MapGet("/interruptions", (Vault vault, HttpContext context) =>
        {
            var policy = vault.Policy.InterruptionPolicy();
            var access = context.Access(vault);
            // A gap between two clips is shown to whoever may see both (R8, R10).
            return InterruptionReport.Build(vault, policy).Where(r => access.Refusal(r.Gap.Previous, bytes: false) is null && access.Refusal(r.Gap.Resumed, bytes: false) is null).Select(r => new
            {
                kind = r.Gap.Kind == GapKind.Interruption ? "interruption" : "overlap",
                deviceSerial = r.Gap.Device,
                officerId = r.Gap.Officer,
                gapStart = InstantPattern.ExtendedIso.Format(r.Gap.GapStart),
                gapEnd = InstantPattern.ExtendedIso.Format(r.Gap.GapEnd),
                gapSeconds = Math.Round(r.Gap.Seconds, 3),
                previousClipSha256 = r.Gap.Previous.ToHex(),
                resumedClipSha256 = r.Gap.Resumed.ToHex(),
                spokenExplanation = r.Spoken,
                writtenExplanation = r.Written,
                explained = r.Explained,
                caseNumber = r.CaseNumber,
            });
        }).WithName("Interruptions");
    }

    /// <summary>R16: the caller's own inbox, what awaits their decision and what they wait for (the same view as custody inbox).</summary>
    public static void MapInboxEndpoint(this WebApplication app) =>
        app.MapGet("/inbox", (Vault vault, System.Security.Claims.ClaimsPrincipal user) => Results.Ok(Custody.Access.Inbox.Json(Custody.Access.Inbox.For(vault, user.Id()))))
            .RequireAuthorization(Policies.Person).WithName("Inbox");

    /// <summary>An ISO 8601 instant from the query string, or a 400 naming the parameter.</summary>
    private static NodaTime.Instant? Time(string parameter, string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parsed = OffsetDateTimePattern.ExtendedIso.Parse(text);
        return parsed.Success ? parsed.Value.ToInstant()
            : throw new FluentValidation.ValidationException([new FluentValidation.Results.ValidationFailure(parameter, $"'{text}' is not an ISO 8601 time with an offset (2026-11-23T09:00:00+08:00).")]);
    }

    /// <summary>Every entry about a subject, oldest first, with what a verifier needs to check it (custody proof gives the proof).</summary>
    private static IResult Trail(Vault vault, string subject, IReadOnlyList<LedgerEntry>? entries = null)
    {
        entries ??= vault.Ledger.Entries(subject);
        if (entries.Count == 0)
        {
            return Results.NotFound();
        }

        return Results.Ok(new
        {
            subject,
            checkpointSize = vault.Ledger.LatestCheckpointNote()?.Size,
            entries = entries.Select(e => new
            {
                index = e.Index,
                time = InstantPattern.ExtendedIso.Format(e.Time),
                type = e.Type,
                actor = e.Actor,
                reason = e.Reason,
                subjects = e.Subjects.Select(s => s.Subject),
                payload = JsonDocument.Parse(e.Payload).RootElement,
                leafHash = Custody.Merkle.MerkleHash.Leaf(LedgerEntryCodec.Encode(e)).ToHex(),
            }),
        });
    }
}
