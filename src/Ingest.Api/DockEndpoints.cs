using MediatR;
using System.Security.Claims;
using EvidenceVault.Custody;
using EvidenceVault.Custody.Access;
using EvidenceVault.Custody.Cases;
using EvidenceVault.Custody.Ingest;
using EvidenceVault.Custody.Ledger;
using EvidenceVault.Custody.Storage;
using Microsoft.AspNetCore.Mvc;

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

        // The original's bytes, streamed into the store's spool and hashed as they arrive; stored only when
        // they hash to the name they were sent under (issue 21: a refused upload leaves nothing behind).
        // Nothing is ledgered yet.
        dock.MapPut("/objects/{sha256}", async (string sha256, HttpContext context, Vault vault, Uploads uploads, CancellationToken cancellationToken) =>
        {
            var expected = Digest(sha256);
            using var slot = uploads.TryOpen();
            if (slot is null)
            {
                context.Response.Headers.RetryAfter = "5";
                return Results.Problem($"{uploads.Limit} uploads are open on this server, the most it takes at once; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            var body = new IdleTimeoutStream(context.Request.Body, uploads.IdleTimeout);
            SpooledObject spooled;
            try
            {
                spooled = await vault.Objects.SpoolAsync(body, SpoolBuffers.Network, cancellationToken);
            }
            catch (UploadIdleException e)
            {
                // The rest of the body will not be read: the connection goes with the upload.
                Serilog.Log.Warning("Dropped an idle upload of {Sha256} from {Station}: {Reason}", sha256, context.User.Identity?.Name, e.Message);
                context.Response.Headers.Connection = "close";
                return Results.Problem(e.Message, statusCode: StatusCodes.Status408RequestTimeout);
            }

            using (spooled)
            {
                if (spooled.Key != expected)
                {
                    return Results.Problem($"The uploaded bytes ({spooled.Size}) hash to {spooled.Key}, not {expected}: the upload is damaged or named wrongly; nothing of it was kept.", statusCode: StatusCodes.Status422UnprocessableEntity);
                }

                var stored = await vault.Objects.StoreAsync(spooled, cancellationToken);
                return Results.Ok(new { sha256 = stored.Key.ToHex(), size = stored.Size, alreadyStored = stored.AlreadyStored });
            }
        }).WithMetadata(new DisableRequestSizeLimitAttribute()).WithName("UploadObject");

        // Custody is claimed only once the object is in the store with that digest and size.
        dock.MapPost("/clips", async (RegisterClipBody body, ClaimsPrincipal user, IMediator sender, CancellationToken cancellationToken) =>
        {
            var result = await sender.Send(new RegisterStoredClip(Digest(body.Sha256), body.Size, body.Facts, user.Id()), cancellationToken);
            var answer = new { ledgerEntry = result.LedgerIndex, sha256 = result.Sha256.ToHex(), size = result.Size, alreadyStored = result.AlreadyStored, alreadyInCustody = result.AlreadyInCustody, flags = result.Flags };
            return result.AlreadyInCustody ? Results.Ok(answer) : Results.Created($"/clips/{result.Sha256}", answer);
        }).WithName("RegisterClip");

        // R3: a written explanation of an interruption, signed by the officers, with its scan (multipart form).
        app.MapPost("/explanations", async (HttpRequest request, ClaimsPrincipal user, IMediator sender, Vault vault, CancellationToken cancellationToken) =>
        {
            if (!request.HasFormContentType)
            {
                return Results.Problem("POST /explanations takes multipart/form-data: resumed, previous, category, text, signedBy (repeated) and the scanned document.", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            var form = await request.ReadFormAsync(cancellationToken);
            if (form["resumed"].ToString() is not { Length: > 0 } resumed)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["resumed"] = ["The SHA-256 of the clip recorded after the interruption is required."] });
            }

            // A person explains only a recording they may see (R8); the station hands in what was scanned at the dock.
            var clip = Digest(resumed);
            if (user.FindFirst(ApiKeyAuthentication.KindClaim)?.Value == AccountKinds.Person && vault.Clips.Holds(clip)
                && request.HttpContext.Access(vault).Refusal(clip, bytes: false) is { } why)
            {
                return await Scope.RefuseAsync(request.HttpContext, vault, "AttachWrittenExplanation", Subjects.Clip(clip), why);
            }

            await using var document = form.Files.GetFile("document")?.OpenReadStream();
            var index = await sender.Send(new AttachWrittenExplanation(
                Digest(resumed),
                form["previous"].ToString() is { Length: > 0 } previous ? Digest(previous) : null,
                form["category"].ToString(),
                form["text"].ToString(),
                [.. form["signedBy"].OfType<string>()],
                document,
                user.Id()), cancellationToken);
            return Results.Created($"/ledger/{index}", new { ledgerEntry = index });
        }).RequireAuthorization(Policies.Explainer).DisableAntiforgery().WithMetadata(new RequestSizeLimitAttribute(ExplanationLimit)).WithName("AttachWrittenExplanation");
    }

    /// <summary>A scanned, signed explanation: a few pages at print resolution.</summary>
    public const long ExplanationLimit = 64L << 20;

    internal static Sha256Digest Digest(string text) =>
        Sha256Digest.TryParseHex(text, out var digest) ? digest : throw new FormatException($"'{text}' is not a SHA-256 (64 hex digits).");
}
