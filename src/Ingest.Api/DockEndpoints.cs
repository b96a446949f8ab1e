using MediatR;
using System.Security.Claims;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;

namespace EvidenceVault.Api;

/// <summary>What a dock station does: open a session for a docked camera, upload originals, register them, hand in written explanations.</summary>
internal static class DockEndpoints
{
    public sealed record OpenSessionBody(string DeviceSerial, string? OfficerId, double? ClockOffsetSeconds);

    public sealed record RegisterClipBody(string Sha256, long Size, ClipFacts Facts);

    public static void MapDockEndpoints(this WebApplication app)
    {
        var dock = app.MapGroup(string.Empty).RequireAuthorization(Policies.Station);
        dock.MapPost("/dock/sessions", async (OpenSessionBody body, ClaimsPrincipal user, IMediator sender, CancellationToken cancellationToken) =>
        {
            var session = await sender.Send(new OpenDockSession(user.Id(), body.DeviceSerial, body.OfficerId, body.ClockOffsetSeconds), cancellationToken);
            return Results.Created($"/dock/sessions/{session.SessionId}", new { sessionId = session.SessionId, ledgerEntry = session.LedgerIndex });
        }).WithName("OpenDockSession");

        // The original's bytes, streamed into the store and hashed as they arrive; nothing is ledgered yet.
        dock.MapPut("/objects/{sha256}", async (string sha256, HttpRequest request, Vault vault, CancellationToken cancellationToken) =>
        {
            var expected = Digest(sha256);
            var stored = await vault.Objects.PutAsync(request.Body, cancellationToken);
            return stored.Key != expected
                ? Results.Problem($"The uploaded bytes hash to {stored.Key}, not {expected}: the upload is damaged or named wrongly; nothing was taken into custody.", statusCode: StatusCodes.Status422UnprocessableEntity)
                : Results.Ok(new { sha256 = stored.Key.ToHex(), size = stored.Size, alreadyStored = stored.AlreadyStored });
        }).WithName("UploadObject");

        // Custody is claimed only once the object is in the store with that digest and size.
        dock.MapPost("/clips", async (RegisterClipBody body, ClaimsPrincipal user, IMediator sender, CancellationToken cancellationToken) =>
        {
            var result = await sender.Send(new RegisterStoredClip(Digest(body.Sha256), body.Size, body.Facts, user.Id()), cancellationToken);
            var answer = new { ledgerEntry = result.LedgerIndex, sha256 = result.Sha256.ToHex(), size = result.Size, alreadyStored = result.AlreadyStored, alreadyInCustody = result.AlreadyInCustody, flags = result.Flags };
            return result.AlreadyInCustody ? Results.Ok(answer) : Results.Created($"/clips/{result.Sha256}", answer);
        }).WithName("RegisterClip");

        // R3: a written explanation of an interruption, signed by the officers, with its scan (multipart form).
        app.MapPost("/explanations", async (HttpRequest request, ClaimsPrincipal user, IMediator sender, CancellationToken cancellationToken) =>
        {
            var form = await request.ReadFormAsync(cancellationToken);
            await using var document = form.Files.GetFile("document")?.OpenReadStream();
            var index = await sender.Send(new AttachWrittenExplanation(
                Digest(form["resumed"].ToString()),
                form["previous"].ToString() is { Length: > 0 } previous ? Digest(previous) : null,
                form["category"].ToString(),
                form["text"].ToString(),
                [.. form["signedBy"].OfType<string>()],
                document,
                user.Id()), cancellationToken);
            return Results.Created($"/ledger/{index}", new { ledgerEntry = index });
        }).RequireAuthorization(Policies.Explainer).DisableAntiforgery().WithName("AttachWrittenExplanation");
    }

    internal static Sha256Digest Digest(string text) =>
        Sha256Digest.TryParseHex(text, out var digest) ? digest : throw new FormatException($"'{text}' is not a SHA-256 (64 hex digits).");
}
